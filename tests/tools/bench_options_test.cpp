// coreloop-bench's command line: every option's value is checked before a run starts, and a
// bad one is named in the error.
#include "bench/options.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace coreloop::bench {
namespace {

bench_options parse(std::vector<std::string> args) {
    return parse_options(args);
}

/// The message of the usage_error that parsing `args` throws ("" if none).
std::string error_of(std::vector<std::string> args) {
    try {
        parse_options(args);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

TEST(BenchOptions, DefaultsAreAClosedLoopEchoOfSixtyFourConnections) {
    const bench_options o = parse({"echo"});
    EXPECT_EQ(o.mode, mode::echo);
    EXPECT_FALSE(o.target_host);
    EXPECT_EQ(o.connections, 64U);
    EXPECT_EQ(o.duration, std::chrono::seconds(5));
    EXPECT_EQ(o.warmup, std::chrono::seconds(1));
    EXPECT_EQ(o.size, 64U);
    EXPECT_EQ(o.pipeline, 1U);
    EXPECT_EQ(o.rate, 0);
    EXPECT_EQ(o.paths, std::vector<std::string>{"/plaintext"});
    EXPECT_FALSE(o.json);
}

TEST(BenchOptions, EveryOptionInBothSpellings) {
    const bench_options o = parse({"http",
                                   "--target",
                                   "[::1]:8080",
                                   "--shards=4",
                                   "--cpuset",
                                   "0-3",
                                   "--connections",
                                   "256",
                                   "--duration=2.5",
                                   "--warmup",
                                   "0",
                                   "--pipeline",
                                   "16",
                                   "--rate",
                                   "1000",
                                   "--timeout",
                                   "0.5",
                                   "--path",
                                   "/json",
                                   "--path=/files/a",
                                   "--server-pid",
                                   "42",
                                   "--json"});
    EXPECT_EQ(o.mode, mode::http);
    EXPECT_EQ(o.target_host, "::1");
    EXPECT_EQ(o.target_port, 8080);
    EXPECT_EQ(o.shards, 4U);
    EXPECT_EQ(o.cpuset, "0-3");
    EXPECT_EQ(o.connections, 256U);
    EXPECT_EQ(o.duration, std::chrono::milliseconds(2500));
    EXPECT_EQ(o.warmup, std::chrono::milliseconds(0));
    EXPECT_EQ(o.pipeline, 16U);
    EXPECT_EQ(o.rate, 1000);
    EXPECT_EQ(o.timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(o.paths, (std::vector<std::string>{"/json", "/files/a"}));
    EXPECT_EQ(o.server_pid, 42);
    EXPECT_TRUE(o.json);
}

TEST(BenchOptions, HelpWinsOverEverythingElse) {
    EXPECT_TRUE(parse({"-h"}).help);
    EXPECT_TRUE(parse({"echo", "--help"}).help);
    EXPECT_NE(usage_text().find("--rate R"), std::string::npos);
}

TEST(BenchOptions, BadCommandLinesNameTheirFault) {
    EXPECT_NE(error_of({}).find("missing the mode"), std::string::npos);
    EXPECT_NE(error_of({"ping"}).find("unknown mode 'ping'"), std::string::npos);
    EXPECT_NE(error_of({"echo", "http"}).find("unexpected argument 'http'"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--bogus", "1"}).find("unknown option '--bogus'"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--connections"}).find("--connections needs a value"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--connections", "0"}).find("--connections: expected a number"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--connections", "12x"}).find("got '12x'"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--duration", "-1"}).find("--duration"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--rate", "0"}).find("--rate"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--target", "localhost"}).find("expected host:port"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--target", "h:99999"}).find("--target"), std::string::npos);
    EXPECT_NE(error_of({"http", "--path", "plaintext"}).find("--path"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--path", "/x"}).find("http mode only"), std::string::npos);
    EXPECT_NE(error_of({"connect", "--pipeline", "2"}).find("connect mode"), std::string::npos);
    EXPECT_NE(error_of({"echo", "--target", "h:1", "--server-shards", "1"}).find("embedded"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--shards", "2", "--server-shards", "2"}).find("at least one"),
              std::string::npos);
    EXPECT_NE(error_of({"echo", "--server-api", "tls"}).find("protocol or streams"),
              std::string::npos);
}

} // namespace
} // namespace coreloop::bench
