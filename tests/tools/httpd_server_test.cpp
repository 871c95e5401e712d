// coreloop-httpd's server over real sockets, on both backends: the routes, keep-alive,
// pipelining, HTTP/1.0, errors and their statuses, HEAD, files, and the idle timeout.
#include "httpd/http_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <coreloop/exceptions.hpp>
#include <coreloop/net/server.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/wait_for.hpp>

#include "support/loop_test.hpp"
#include "tools/http_client.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::get;
using test::read_response;

class HttpdServer : public test::loop_test {
protected:
    coro<net::server> serve() {
        net::protocol_factory factory = httpd::make_protocol_factory(config);
        net::server srv = co_await net::create_server(std::move(factory), "127.0.0.1", 0);
        port_ = srv.sockets()[0].getsockname().port();
        co_return srv;
    }
    coro<net::stream_pair> connect() {
        co_return co_await net::open_connection("127.0.0.1", port_);
    }
    static coro<void> stop(net::server& srv) {
        srv.close();
        srv.close_clients();
        co_await srv.wait_closed();
    }

    // True once the server ended the connection: an end of file, or a reset when the client
    // wrote after the server had closed.
    static coro<bool> closed_by_server(net::stream_reader& reader) {
        try {
            const std::string rest = co_await reader.read();
            co_return rest.empty();
        } catch (const connection_reset_error&) {
            co_return true;
        }
    }
    // Waits up to a second for the server's last connection to end.
    static coro<void> wait_no_clients(const net::server& srv) {
        for (int i = 0; i < 200 && srv.client_count() > 0; ++i) {
            co_await sleep(5ms);
        }
    }

    httpd::server_config config;
    std::uint16_t port_ = 0;
};

TEST_P(HttpdServer, PlaintextAndJson) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write(get("/plaintext") + get("/json"));
        const test::http_response text = co_await read_response(*reader);
        EXPECT_EQ(text.status, 200);
        EXPECT_EQ(text.body, "Hello, World!");
        EXPECT_EQ(text.header("content-type"), "text/plain");
        EXPECT_EQ(text.header("content-length"), "13");
        EXPECT_EQ(text.header("server"), "coreloop");
        EXPECT_EQ(text.header("date").size(), 29U); // "Sun, 22 Nov 2026 18:08:39 GMT"
        EXPECT_EQ(text.header("connection"), "");
        const test::http_response json = co_await read_response(*reader);
        EXPECT_EQ(json.body, R"({"message":"Hello, World!"})");
        EXPECT_EQ(json.header("content-type"), "application/json");
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, KeepAliveServesManyRequestsOnOneConnection) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        for (int i = 0; i < 200; ++i) {
            writer->write(get(i % 2 == 0 ? "/plaintext" : "/json"));
            const test::http_response r = co_await read_response(*reader);
            EXPECT_EQ(r.status, 200);
        }
        EXPECT_EQ(srv.client_count(), 1U);
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, PipelinedRequestsAreAnsweredInOrder) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        std::string batch;
        for (int i = 0; i < 16; ++i) {
            batch += get(i % 3 == 0 ? "/json" : i % 3 == 1 ? "/plaintext" : "/missing");
        }
        writer->write(batch);
        for (int i = 0; i < 16; ++i) {
            const test::http_response r = co_await read_response(*reader);
            EXPECT_EQ(r.status, i % 3 == 2 ? 404 : 200) << i;
            EXPECT_EQ(r.body.size(), i % 3 == 0 ? 27U : i % 3 == 1 ? 13U : 10U) << i;
        }
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, Http10ClosesUnlessAskedToKeepAlive) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        {
            auto [reader, writer] = co_await connect();
            writer->write("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            const test::http_response kept = co_await read_response(*reader);
            EXPECT_EQ(kept.header("connection"), "keep-alive");
            writer->write("GET /plaintext HTTP/1.0\r\n\r\n");
            const test::http_response closed = co_await read_response(*reader);
            EXPECT_EQ(closed.header("connection"), "close");
            EXPECT_EQ(co_await reader->read(), ""); // and the server closed
            writer->close();
        }
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, ConnectionCloseEndsAfterTheResponseAndIgnoresTheRest) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write(get("/json", "Connection: close\r\n") + get("/plaintext"));
        const test::http_response r = co_await read_response(*reader);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("connection"), "close");
        EXPECT_EQ(co_await reader->read(), "");
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, GarbageGets400AndTheConnectionCloses) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        for (const char* bad :
             {"\x16\x03\x01\x02\x00 hello\r\n\r\n", "GET /plaintext\r\n\r\n",
              "GET /plaintext HTTP/1.1\r\nHost x\r\n\r\n", "GET /plaintext HTTP/1.1\r\n\r\n"}) {
            auto [reader, writer] = co_await connect();
            writer->write(std::string(bad) + get("/plaintext"));
            const test::http_response r = co_await read_response(*reader);
            EXPECT_EQ(r.status, 400) << bad;
            EXPECT_EQ(r.header("connection"), "close");
            EXPECT_EQ(co_await reader->read(), "") << bad;
            writer->close();
        }
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, AfterAnErrorWhatFollowsIsDroppedUntilThePeerCloses) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write("GET /plaintext\r\n\r\n");
        EXPECT_EQ((co_await read_response(*reader)).status, 400);
        EXPECT_EQ(co_await reader->read(), ""); // the server's writing side ended
        // The server still reads, so writing more gets no reset.
        std::string more;
        while (more.size() < (64U << 10)) {
            more += get("/plaintext");
        }
        for (int i = 0; i < 3; ++i) {
            writer->write(more);
            co_await writer->drain();
            co_await sleep(10ms);
        }
        EXPECT_FALSE(writer->is_closing());
        EXPECT_EQ(srv.client_count(), 1U);
        writer->close(); // which ends the server's side too
        co_await wait_no_clients(srv);
        EXPECT_EQ(srv.client_count(), 0U);
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, APeerThatKeepsSendingAfterAnErrorIsClosedAtTheIdleTimeout) {
    config.idle_timeout = 50ms;
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write("GET /plaintext\r\n\r\n");
        EXPECT_EQ((co_await read_response(*reader)).status, 400);
        const auto started = std::chrono::steady_clock::now();
        while (srv.client_count() > 0 && std::chrono::steady_clock::now() - started < 1s &&
               !writer->is_closing()) {
            writer->write("x");
            co_await sleep(10ms);
        }
        EXPECT_EQ(srv.client_count(), 0U);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, UnknownPathsAndMethodsKeepTheConnection) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write(get("/nothing/here") + "POST /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" +
                      "DELETE /files/x HTTP/1.1\r\nHost: a\r\n\r\n" + get("/plaintext"));
        EXPECT_EQ((co_await read_response(*reader)).status, 404);
        const test::http_response post = co_await read_response(*reader);
        EXPECT_EQ(post.status, 405);
        EXPECT_EQ(post.header("allow"), "GET, HEAD");
        EXPECT_EQ((co_await read_response(*reader)).status, 405);
        EXPECT_EQ((co_await read_response(*reader)).body, "Hello, World!");
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, TooLargeHeadsAndBodiesGet413) {
    config.max_request_bytes = 1024;
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        for (const std::string& bad :
             {get("/plaintext", "X-Big: " + std::string(2000, 'b') + "\r\n"),
              std::string("GET /plaintext HTTP/1.1\r\nHost: a\r\n") + std::string(4000, 'c'),
              get("/plaintext", "Content-Length: 3\r\n") + "abc",
              get("/plaintext", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n"}) {
            auto [reader, writer] = co_await connect();
            writer->write(bad);
            EXPECT_EQ((co_await read_response(*reader)).status, 413);
            EXPECT_EQ(co_await reader->read(), "");
            writer->close();
        }
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, OtherVersionsGet505) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write("GET /plaintext HTTP/2.0\r\nHost: a\r\n\r\n");
        EXPECT_EQ((co_await read_response(*reader)).status, 505);
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, HeadSendsTheHeadersWithoutTheBody) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write("HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" + get("/json"));
        const test::http_response head = co_await read_response(*reader, true);
        EXPECT_EQ(head.header("content-length"), "13");
        const test::http_response next = co_await read_response(*reader);
        EXPECT_EQ(next.body, R"({"message":"Hello, World!"})"); // nothing in between
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, ARequestCutIntoSingleBytes) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        const std::string request = get("/json");
        for (char c : request) {
            writer->write(std::string(1, c));
            co_await writer->drain();
            co_await sleep(0ms);
        }
        EXPECT_EQ((co_await read_response(*reader)).status, 200);
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, IdleConnectionsAndSlowRequestsAreClosed) {
    config.idle_timeout = 50ms;
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [idle_reader, idle_writer] = co_await connect();
        auto [slow_reader, slow_writer] = co_await connect();
        // One byte every 10 ms keeps the connection busy but never completes the request.
        const std::string request = get("/plaintext", "X-Slow: " + std::string(40, 's') + "\r\n");
        const auto started = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < request.size() - 1 && !slow_reader->at_eof(); ++i) {
            slow_writer->write(request.substr(i, 1));
            co_await sleep(10ms);
            if (std::chrono::steady_clock::now() - started > 400ms) {
                break;
            }
        }
        EXPECT_TRUE(co_await closed_by_server(*slow_reader));
        EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
        EXPECT_EQ(co_await idle_reader->read(), "");
        idle_writer->close();
        slow_writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, AClientThatNeverReadsIsHeldBackAndOthersAreServed) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [stuck_reader, stuck_writer] = co_await connect();
        // Pipelined requests, 1 MiB at a time, never reading a response. The server must stop
        // reading once its responses back up, so the writes stall: if it kept reading it
        // would buffer ~3.5 times as many response bytes as it was sent.
        std::string chunk;
        while (chunk.size() < (1U << 20)) {
            chunk += get("/plaintext");
        }
        std::size_t accepted = 0;
        bool stalled = false;
        while (accepted < (64U << 20) && !stalled) {
            stuck_writer->write(chunk);
            try {
                co_await wait_for(stuck_writer->drain(),
                                  std::optional<std::chrono::nanoseconds>(200ms));
                accepted += chunk.size();
            } catch (const timeout_error&) {
                stalled = true;
            }
        }
        EXPECT_TRUE(stalled);
        // Kernel buffers on both sides hold some; the server itself holds at most a few of
        // its write buffer's high-water marks.
        EXPECT_LT(accepted, 32U << 20);
        auto [reader, writer] = co_await connect();
        writer->write(get("/json"));
        const test::http_response r = co_await wait_for(
                read_response(*reader), std::optional<std::chrono::nanoseconds>(2s));
        EXPECT_EQ(r.status, 200);
        writer->close();
        stuck_writer->transport().abort();
        co_await stop(srv);
    }());
}

/// A directory with a small text file, a 1 MiB file and a subdirectory; removed at the end.
class HttpdFiles : public HttpdServer {
protected:
    void SetUp() override {
        HttpdServer::SetUp();
        char name[] = "/tmp/coreloop-httpd-XXXXXX";
        dir_ = ::mkdtemp(name);
        std::ofstream(dir_ / "hello.txt") << "hello file\n";
        big_ = test_payload(1 << 20);
        std::ofstream(dir_ / "big.bin", std::ios::binary) << big_;
        std::filesystem::create_directory(dir_ / "sub");
        config.root = dir_.string();
    }
    void TearDown() override {
        std::filesystem::remove_all(dir_);
        HttpdServer::TearDown();
    }
    static std::string test_payload(std::size_t n) {
        std::string s(n, '\0');
        for (std::size_t i = 0; i < n; ++i) {
            s[i] = static_cast<char>((i * 7919) >> 3);
        }
        return s;
    }

    std::filesystem::path dir_;
    std::string big_;
};

TEST_P(HttpdFiles, FilesAreSentWholeAndPipelinedRequestsWait) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write(get("/files/hello.txt") + get("/files/big.bin") + get("/plaintext") +
                      "HEAD /files/big.bin HTTP/1.1\r\nHost: a\r\n\r\n");
        const test::http_response hello = co_await read_response(*reader);
        EXPECT_EQ(hello.body, "hello file\n");
        EXPECT_EQ(hello.header("content-type"), "text/plain; charset=utf-8");
        const test::http_response big = co_await read_response(*reader);
        EXPECT_EQ(big.header("content-type"), "application/octet-stream");
        EXPECT_TRUE(big.body == big_);
        EXPECT_EQ((co_await read_response(*reader)).body, "Hello, World!");
        const test::http_response head = co_await read_response(*reader, true);
        EXPECT_EQ(head.header("content-length"), std::to_string(1 << 20));
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdFiles, NothingOutsideTheRootOrNotAFile) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        const std::pair<const char*, int> cases[] = {
                {"/files/../etc/passwd", 404},
                {"/files/sub/../../etc/passwd", 404},
                {"/files/%2e%2e/etc/passwd", 404},
                {"/files/hello.txt%00", 400},
                {"/files/%zz", 400},
                {"/files/missing", 404},
                {"/files/sub", 404},
                {"/files/", 404},
                {"/files/hello%2etxt", 200},
        };
        for (const auto& [path, status] : cases) {
            writer->write(get(path));
            EXPECT_EQ((co_await read_response(*reader)).status, status) << path;
        }
        writer->close();
        co_await stop(srv);
    }());
}

TEST_P(HttpdServer, WithoutARootFilesAreNotFound) {
    run([this]() -> coro<void> {
        net::server srv = co_await serve();
        auto [reader, writer] = co_await connect();
        writer->write(get("/files/etc/passwd"));
        EXPECT_EQ((co_await read_response(*reader)).status, 404);
        writer->close();
        co_await stop(srv);
    }());
}

CORELOOP_ALL_BACKENDS(HttpdServer);
CORELOOP_ALL_BACKENDS(HttpdFiles);

} // namespace
} // namespace coreloop
