// coreloop-bench as a user runs it: exit status 2 and a clear message for a bad command line,
// --help, and a short embedded run whose table and JSON carry the figures.
#include <cstdio>
#include <string>

#include <sys/wait.h>

#include <gtest/gtest.h>

namespace {

struct outcome {
    int status = -1;
    std::string output; // stdout and stderr together
};

/// Runs coreloop-bench with `args` through the shell, on one CPU's worth of shards.
outcome run_bench(const std::string& args) {
    const std::string command = std::string(CORELOOP_BENCH_BINARY) + " " + args + " 2>&1";
    outcome result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        result.output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

TEST(BenchCli, ABadOptionExitsWithTwoAndSaysWhy) {
    const outcome bad = run_bench("echo --connections lots");
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.output.find("coreloop-bench: --connections: expected a number"),
              std::string::npos)
            << bad.output;
    const outcome no_mode = run_bench("");
    EXPECT_EQ(no_mode.status, 2);
    EXPECT_NE(no_mode.output.find("missing the mode"), std::string::npos) << no_mode.output;
}

TEST(BenchCli, HelpListsTheModesAndExitsWithZero) {
    const outcome help = run_bench("--help");
    EXPECT_EQ(help.status, 0);
    for (const char* word : {"echo", "http", "connect", "--target", "--rate", "--json"}) {
        EXPECT_NE(help.output.find(word), std::string::npos) << word;
    }
}

TEST(BenchCli, AShortEmbeddedRunPrintsTheTable) {
    const outcome run = run_bench("echo --shards 2 --duration 0.3 --warmup 0.1 --connections 4");
    EXPECT_EQ(run.status, 0) << run.output;
    for (const char* row : {"throughput", "latency p50", "latency p99.9", "latency max", "errors",
                            "client CPU", "server CPU"}) {
        EXPECT_NE(run.output.find(row), std::string::npos) << row << " in\n" << run.output;
    }
    // Not a terminal: the progress comes as whole lines, without carriage returns.
    EXPECT_EQ(run.output.find('\r'), std::string::npos);
}

TEST(BenchCli, JsonIsOneObjectWithTheFigures) {
    const outcome run =
            run_bench("echo --shards 2 --duration 0.3 --warmup 0.1 --connections 4 --json "
                      "2>/dev/null");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(run.output.front(), '{');
    EXPECT_EQ(run.output.find('\n'), run.output.size() - 1);
    for (const char* key : {"\"requests_per_s\":", "\"latency_us\":{\"p50\":", "\"p999\":",
                            "\"errors\":{\"total\":0", "\"client_cpu_us_per_request\":"}) {
        EXPECT_NE(run.output.find(key), std::string::npos) << key << " in " << run.output;
    }
}

TEST(BenchCli, AnUnreachableTargetIsCountedNotFatal) {
    const outcome run = run_bench("echo --target 127.0.0.1:1 --shards 1 --duration 0.2 "
                                  "--warmup 0 --connections 2 --json 2>/dev/null");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("\"requests\":0,"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("\"refused\":0"), std::string::npos) << run.output;
}

} // namespace
