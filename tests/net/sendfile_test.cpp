// sendfile over transports and sock_sendfile over sockets, on both backends: whole files,
// offsets and counts, buffered writes first, a peer slower than the file, and files sendfile(2)
// cannot read.
#include <coreloop/net/sendfile.hpp>

#include <cstdlib>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/net/connection.hpp>
#include <coreloop/net/server.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

namespace coreloop {
namespace {

using test::recorder;

/// A memory-backed file holding `content`, closed at the end of the test.
struct temp_file {
    int fd = ::memfd_create("coreloop-sendfile-test", MFD_CLOEXEC);

    explicit temp_file(const std::string& content) {
        EXPECT_EQ(::write(fd, content.data(), content.size()),
                  static_cast<::ssize_t>(content.size()));
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() { ::close(fd); }
};

class Sendfile : public test::loop_test {
protected:
    coro<net::server> sink_server() {
        auto factory = [this] {
            auto p = std::make_shared<recorder>();
            accepted.push_back(p);
            return std::shared_ptr<net::base_protocol>(p);
        };
        co_return co_await net::create_server(factory, "127.0.0.1", 0);
    }
    std::vector<std::shared_ptr<recorder>> accepted;
};

TEST_P(Sendfile, WholeFileAfterBufferedWrites) {
    run([this]() -> coro<void> {
        const std::string content = test::payload(3 << 20);
        temp_file file(content);
        net::server srv = co_await sink_server();
        auto factory = [] { return std::make_shared<recorder>(); };
        auto [t, p] = co_await net::create_connection(factory, "127.0.0.1",
                                                      srv.sockets()[0].getsockname().port());
        t->write("header:");
        const std::size_t sent = co_await net::sendfile(*t, file.fd);
        EXPECT_EQ(sent, content.size());
        t->write(":trailer");
        CO_ASSERT_TRUE(co_await test::until([&] {
            return !accepted.empty() && accepted[0]->received.size() == content.size() + 15;
        }));
        EXPECT_TRUE(accepted[0]->received == "header:" + content + ":trailer");
        EXPECT_TRUE(t->is_reading()); // reading resumed after the send
        t->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Sendfile, OffsetAndCountSelectAPart) {
    run([this]() -> coro<void> {
        const std::string content = test::payload(100000);
        temp_file file(content);
        net::server srv = co_await sink_server();
        auto factory = [] { return std::make_shared<recorder>(); };
        auto [t, p] = co_await net::create_connection(factory, "127.0.0.1",
                                                      srv.sockets()[0].getsockname().port());
        EXPECT_EQ(co_await net::sendfile(*t, file.fd, 1000, 5000, false), 5000U);
        // A count past the end sends what there is.
        EXPECT_EQ(co_await net::sendfile(*t, file.fd, 99000, 5000, false), 1000U);
        CO_ASSERT_TRUE(co_await test::until(
                [&] { return !accepted.empty() && accepted[0]->received.size() == 6000; }));
        EXPECT_TRUE(accepted[0]->received == content.substr(1000, 5000) + content.substr(99000));
        t->close();
        srv.close();
        co_await srv.wait_closed();
    }());
}

TEST_P(Sendfile, SockSendfileToASlowReader) {
    run([this]() -> coro<void> {
        const std::string content = test::payload(4 << 20);
        temp_file file(content);
        auto [a, b] = socket::pair();
        task<std::size_t> sending = create_task(net::sock_sendfile(a, file.fd));
        // The reader takes its time: sendfile fills the socket and waits for writability.
        std::string got;
        while (got.size() < content.size()) {
            std::string piece = co_await loop().sock_recv(b, 65536);
            if (piece.empty()) {
                break;
            }
            got += piece;
        }
        EXPECT_EQ(co_await sending, content.size());
        EXPECT_TRUE(got == content);
    }());
}

TEST_P(Sendfile, APipeCannotBeSentWithoutFallback) {
    run([]() -> coro<void> {
        int p[2];
        CO_ASSERT_TRUE(::pipe2(p, O_CLOEXEC) == 0);
        EXPECT_EQ(::write(p[1], "pipe data", 9), 9);
        auto [a, b] = socket::pair();
        EXPECT_THROW(co_await net::sock_sendfile(a, p[0], 0, 9, false),
                     net::sendfile_not_available_error);
        ::close(p[0]);
        ::close(p[1]);
    }());
}

CORELOOP_ALL_BACKENDS(Sendfile);

} // namespace
} // namespace coreloop
