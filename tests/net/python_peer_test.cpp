// Interoperability with an independent implementation: CPython's asyncio (tests/net/peers/
// asyncio_peer.py) as client of a coreloop streams server and as server for a coreloop client,
// over TCP and Unix sockets, on both backends.
#include <coreloop/net/streams.hpp>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

extern char** environ;

using namespace std::chrono_literals;

namespace coreloop {
namespace {

/// python3 running asyncio_peer.py, its stdout connected to `out`.
struct python_peer {
    pid_t pid = -1;
    socket out;

    explicit python_peer(const std::vector<std::string>& args) {
        auto [ours, theirs] = socket::pair();
        std::vector<std::string> argv_strings{"python3",
                                              CORELOOP_TEST_PEERS_DIR "/asyncio_peer.py"};
        argv_strings.insert(argv_strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_strings) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, theirs.fileno(), STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (::posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ) != 0) {
            pid = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        out = std::move(ours);
    }
    python_peer(const python_peer&) = delete;
    python_peer& operator=(const python_peer&) = delete;
    ~python_peer() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }

    /// One line of the peer's output, without the newline ("" at EOF).
    coro<std::string> read_line() {
        std::string line;
        for (;;) {
            std::string c = co_await get_running_loop().sock_recv(out, 1);
            if (c.empty() || c == "\n") {
                co_return line;
            }
            line += c;
        }
    }

    /// The exit status, waiting up to 20 s (-1 if it did not exit).
    coro<int> wait() {
        for (int i = 0; i < 4000; ++i) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            co_await sleep(5ms);
        }
        co_return -1;
    }
};

/// The echo server's side of the conversation asyncio_peer.py's client expects: echo lines,
/// answer EOF with "bye\n", close.
coro<void> echo_lines(std::shared_ptr<net::stream_reader> reader,
                      std::shared_ptr<net::stream_writer> writer) {
    for (;;) {
        std::string line = co_await reader->readline();
        if (line.empty()) {
            break;
        }
        writer->write(line);
        co_await writer->drain();
    }
    writer->write("bye\n");
    co_await writer->drain();
    writer->close();
    co_await writer->wait_closed();
}

/// The client's side of the conversation asyncio_peer.py's server expects.
coro<void> talk_to_echo_server(net::stream_pair streams) {
    auto& [reader, writer] = streams;
    const std::string big = test::payload(200 * 1024);
    std::string big_line;
    for (char c : big) {
        big_line += static_cast<char>('A' + static_cast<unsigned char>(c) % 26);
    }
    big_line += '\n';
    const std::vector<std::string> first_lines{"hello\n", "\n", big_line};
    for (const std::string& line : first_lines) {
        writer->write(line);
        co_await writer->drain();
        EXPECT_EQ(co_await reader->readline(), line);
    }
    for (int i = 0; i < 100; ++i) {
        writer->write("pipelined " + std::to_string(i) + "\n");
    }
    co_await writer->drain();
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(co_await reader->readline(), "pipelined " + std::to_string(i) + "\n");
    }
    writer->write_eof();
    EXPECT_EQ(co_await reader->read(), "bye\n");
    EXPECT_TRUE(reader->at_eof());
    writer->close();
    co_await writer->wait_closed();
}

class PythonPeer : public test::loop_test {
protected:
    std::string unix_path(const char* name) const {
        return "/tmp/coreloop-py-" + std::to_string(::getpid()) + "-" + name + "-" +
               std::string(to_string(GetParam())) + ".sock";
    }
};

TEST_P(PythonPeer, AsyncioClientTalksToCoreloopTcpServer) {
    run([]() -> coro<void> {
        net::server_options opts;
        net::server srv =
                co_await net::start_server(echo_lines, "127.0.0.1", 0, std::move(opts), 1 << 20);
        const auto port = std::to_string(srv.sockets()[0].getsockname().port());
        python_peer peer({"client", "tcp", "127.0.0.1", port});
        CO_ASSERT_TRUE(peer.pid > 0);
        EXPECT_EQ(co_await peer.read_line(), "ok");
        EXPECT_EQ(co_await peer.wait(), 0);
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(PythonPeer, AsyncioClientTalksToCoreloopUnixServer) {
    run([](std::string path) -> coro<void> {
        net::unix_server_options opts;
        net::server srv =
                co_await net::start_unix_server(echo_lines, path, std::move(opts), 1 << 20);
        python_peer peer({"client", "unix", path});
        CO_ASSERT_TRUE(peer.pid > 0);
        EXPECT_EQ(co_await peer.read_line(), "ok");
        EXPECT_EQ(co_await peer.wait(), 0);
        srv.close();
        co_await srv.wait_closed();
    }(unix_path("server")));
}

TEST_P(PythonPeer, CoreloopClientTalksToAsyncioTcpServer) {
    run([]() -> coro<void> {
        python_peer peer({"server", "tcp", "127.0.0.1"});
        CO_ASSERT_TRUE(peer.pid > 0);
        const std::string ready = co_await peer.read_line();
        CO_ASSERT_TRUE(ready.rfind("ready ", 0) == 0);
        const auto port = static_cast<std::uint16_t>(std::stoi(ready.substr(6)));
        net::connection_options opts;
        net::stream_pair streams =
                co_await net::open_connection("127.0.0.1", port, std::move(opts), 1 << 20);
        co_await talk_to_echo_server(std::move(streams));
        EXPECT_EQ(co_await peer.wait(), 0);
    }());
}

TEST_P(PythonPeer, CoreloopClientTalksToAsyncioUnixServer) {
    run([](std::string path) -> coro<void> {
        ::unlink(path.c_str());
        python_peer peer({"server", "unix", path});
        CO_ASSERT_TRUE(peer.pid > 0);
        EXPECT_EQ(co_await peer.read_line(), "ready " + path);
        net::stream_pair streams = co_await net::open_unix_connection(path, 1 << 20);
        co_await talk_to_echo_server(std::move(streams));
        EXPECT_EQ(co_await peer.wait(), 0);
        ::unlink(path.c_str());
    }(unix_path("client")));
}

CORELOOP_ALL_BACKENDS(PythonPeer);

} // namespace
} // namespace coreloop
