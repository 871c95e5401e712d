// getaddrinfo and getnameinfo: literal addresses answered inline (no executor) exactly as
// glibc answers them, names through the default executor, errors, and a cancelled lookup
// whose thread finishes afterwards.
#include <coreloop/net/dns.hpp>

#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/executor.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "support/loop_test.hpp"

namespace coreloop {
namespace {

using net::addrinfo_entry;
using net::addrinfo_options;
using net::gai_error;

class Dns : public test::loop_test {};

/// What the C library says, called here directly (only for literals, which never block).
std::vector<addrinfo_entry>
c_getaddrinfo(const std::string& host, const std::string& port, addrinfo_options opts) {
    ::addrinfo hints{};
    hints.ai_family = opts.family;
    hints.ai_socktype = opts.type;
    hints.ai_protocol = opts.proto;
    hints.ai_flags = opts.flags;
    ::addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), port.empty() ? nullptr : port.c_str(), &hints, &list);
    EXPECT_EQ(rc, 0) << host << " " << port << ": " << ::gai_strerror(rc);
    std::vector<addrinfo_entry> out;
    for (const ::addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        sock_address a;
        std::memcpy(a.data(), ai->ai_addr, ai->ai_addrlen);
        *a.size_ptr() = ai->ai_addrlen;
        out.push_back({ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                       ai->ai_canonname != nullptr ? ai->ai_canonname : "", a});
    }
    if (list != nullptr) {
        ::freeaddrinfo(list);
    }
    return out;
}

void expect_same(const std::vector<addrinfo_entry>& got,
                 const std::vector<addrinfo_entry>& want,
                 const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].family, want[i].family) << what << " #" << i;
        EXPECT_EQ(got[i].type, want[i].type) << what << " #" << i;
        EXPECT_EQ(got[i].proto, want[i].proto) << what << " #" << i;
        EXPECT_EQ(got[i].canonname, want[i].canonname) << what << " #" << i;
        EXPECT_TRUE(got[i].address == want[i].address)
                << what << " #" << i << ": " << got[i].address.to_string() << " vs "
                << want[i].address.to_string();
    }
}

/// The error code getaddrinfo(host, port, opts) fails with (0 if it does not fail).
coro<int> gai_code(std::string host, std::string port, addrinfo_options opts) {
    try {
        co_await net::getaddrinfo(std::move(host), std::move(port), opts);
    } catch (const gai_error& e) {
        EXPECT_STREQ(e.what(), ::gai_strerror(e.code()));
        co_return e.code();
    }
    co_return 0;
}

coro<void> spin(int n = 1) {
    for (int i = 0; i < n; ++i) {
        co_await sleep(std::chrono::seconds(0));
    }
}

TEST_P(Dns, NumericIpv4ResolvesInline) {
    run([](event_loop& loop) -> coro<void> {
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("127.0.0.1", 8080);
        EXPECT_FALSE(loop.has_default_executor()) << "a literal must not use the executor";
        // glibc's answer for type 0 / proto 0: stream, datagram and raw entries.
        EXPECT_EQ(infos.size(), 3u);
        if (infos.size() != 3u) {
            co_return;
        }
        EXPECT_EQ(infos[0].type, SOCK_STREAM);
        EXPECT_EQ(infos[0].proto, IPPROTO_TCP);
        EXPECT_EQ(infos[1].type, SOCK_DGRAM);
        EXPECT_EQ(infos[1].proto, IPPROTO_UDP);
        EXPECT_EQ(infos[2].type, SOCK_RAW);
        for (const auto& info : infos) {
            EXPECT_EQ(info.family, AF_INET);
            EXPECT_EQ(info.canonname, "");
            EXPECT_TRUE(info.address == sock_address::from_ip("127.0.0.1", 8080));
        }
        std::vector<addrinfo_entry> by_string = co_await net::getaddrinfo("127.0.0.1", "8080");
        expect_same(by_string, infos, "string port");
    }(loop()));
}

TEST_P(Dns, NumericIpv6ResolvesInline) {
    run([](event_loop& loop) -> coro<void> {
        addrinfo_options stream;
        stream.type = SOCK_STREAM;
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("::1", 443, stream);
        EXPECT_FALSE(loop.has_default_executor()) << "a literal must not use the executor";
        EXPECT_EQ(infos.size(), 1u);
        if (infos.size() != 1u) {
            co_return;
        }
        EXPECT_EQ(infos[0].family, AF_INET6);
        EXPECT_EQ(infos[0].type, SOCK_STREAM);
        EXPECT_EQ(infos[0].proto, IPPROTO_TCP);
        EXPECT_EQ(infos[0].address.to_string(), "[::1]:443");
        std::vector<addrinfo_entry> scoped = co_await net::getaddrinfo("fe80::1%1", 80, stream);
        EXPECT_EQ(scoped.size(), 1u);
        if (scoped.size() != 1u) {
            co_return;
        }
        const auto* v6 = reinterpret_cast<const ::sockaddr_in6*>(scoped[0].address.data());
        EXPECT_EQ(v6->sin6_scope_id, 1u);
        EXPECT_FALSE(loop.has_default_executor());
    }(loop()));
}

TEST_P(Dns, LiteralsMatchTheCLibrary) {
    struct query {
        std::string host;
        std::string port;
        addrinfo_options opts;
    };
    const std::vector<query> queries = {
            {"127.0.0.1", "80", {}},
            {"127.0.0.1", "", {}},
            {"0.0.0.0", "0", {.flags = AI_PASSIVE}},
            {"10.1.2.3", "080", {.family = AF_INET, .type = SOCK_DGRAM}},
            {"::1", "65535", {.family = AF_INET6}},
            {"::ffff:127.0.0.1", "1", {}},
            {"127.0.0.1", "80", {.proto = IPPROTO_UDP}},
            {"127.0.0.1", "80", {.type = SOCK_STREAM, .proto = IPPROTO_TCP}},
            {"::1", "80", {.flags = AI_CANONNAME}},
            {"fe80::1%lo", "80", {.flags = AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV}},
            {"::1%7", "80", {.type = SOCK_DGRAM}},
            {"ff02::1%lo", "", {.type = SOCK_DGRAM}},
    };
    run([](event_loop& loop, const std::vector<query>& qs) -> coro<void> {
        for (const query& q : qs) {
            std::vector<addrinfo_entry> got = co_await net::getaddrinfo(q.host, q.port, q.opts);
            expect_same(got, c_getaddrinfo(q.host, q.port, q.opts), q.host + " " + q.port);
        }
        EXPECT_FALSE(loop.has_default_executor()) << "a literal must not use the executor";
    }(loop(), queries));
}

TEST_P(Dns, LiteralsResolveAfterExecutorShutdown) {
    run([](event_loop& loop) -> coro<void> {
        co_await loop.shutdown_default_executor();
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("192.0.2.7", 9);
        EXPECT_EQ(infos.size(), 3u);
        auto names = co_await net::getnameinfo(sock_address::from_ip("::1", 22),
                                               NI_NUMERICHOST | NI_NUMERICSERV);
        EXPECT_EQ(names.first, "::1");
        EXPECT_EQ(names.second, "22");
        bool refused = false;
        try {
            co_await net::getaddrinfo("localhost", 80);
        } catch (const std::runtime_error&) {
            refused = true; // a name needs the executor, which is gone
        }
        EXPECT_TRUE(refused);
    }(loop()));
}

TEST_P(Dns, LocalhostResolvesThroughTheExecutor) {
    run([](event_loop& loop) -> coro<void> {
        addrinfo_options stream;
        stream.type = SOCK_STREAM;
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("localhost", 8080, stream);
        EXPECT_TRUE(loop.has_default_executor());
        EXPECT_FALSE(infos.empty());
        for (const auto& info : infos) {
            EXPECT_EQ(info.type, SOCK_STREAM);
            EXPECT_TRUE(info.address == sock_address::from_ip("127.0.0.1", 8080) ||
                        info.address == sock_address::from_ip("::1", 8080))
                    << info.address.to_string();
        }
        co_await loop.shutdown_default_executor();
    }(loop()));
}

TEST_P(Dns, FamilyFiltering) {
    run([]() -> coro<void> {
        addrinfo_options v4;
        v4.family = AF_INET;
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("localhost", 80, v4);
        EXPECT_FALSE(infos.empty());
        for (const auto& info : infos) {
            EXPECT_EQ(info.family, AF_INET);
        }
        // A literal of the other family is not an answer (glibc: EAI_ADDRFAMILY).
        addrinfo_options v6;
        v6.family = AF_INET6;
        int code = co_await gai_code("127.0.0.1", "80", v6);
        EXPECT_TRUE(code == EAI_ADDRFAMILY || code == EAI_NONAME) << code;
        code = co_await gai_code("::1", "80", v4);
        EXPECT_TRUE(code == EAI_ADDRFAMILY || code == EAI_NONAME) << code;
    }());
}

TEST_P(Dns, ServiceNames) {
    run([](event_loop& loop) -> coro<void> {
        addrinfo_options stream;
        stream.type = SOCK_STREAM;
        std::vector<addrinfo_entry> infos = co_await net::getaddrinfo("127.0.0.1", "http", stream);
        EXPECT_TRUE(loop.has_default_executor()) << "a service name needs the C library";
        EXPECT_EQ(infos.size(), 1u);
        if (infos.size() != 1u) {
            co_return;
        }
        EXPECT_EQ(infos[0].address.port(), 80);
        infos = co_await net::getaddrinfo("localhost", "https", stream);
        EXPECT_FALSE(infos.empty());
        for (const auto& info : infos) {
            EXPECT_EQ(info.address.port(), 443);
        }
        EXPECT_EQ(co_await gai_code("127.0.0.1", "no-such-service", stream), EAI_SERVICE);
    }(loop()));
}

TEST_P(Dns, UnknownHostRaisesNoname) {
    run([]() -> coro<void> {
        EXPECT_EQ(co_await gai_code("no-such-host.invalid", "80", {}), EAI_NONAME);
        addrinfo_options numeric_only;
        numeric_only.flags = AI_NUMERICHOST;
        EXPECT_EQ(co_await gai_code("localhost", "80", numeric_only), EAI_NONAME);
        // Neither host nor service.
        EXPECT_EQ(co_await gai_code("", "", {}), EAI_NONAME);
    }());
}

TEST_P(Dns, EmptyHostIsLoopbackOrWildcard) {
    run([]() -> coro<void> {
        addrinfo_options passive;
        passive.type = SOCK_STREAM;
        passive.flags = AI_PASSIVE;
        std::vector<addrinfo_entry> any = co_await net::getaddrinfo("", 0, passive);
        EXPECT_FALSE(any.empty());
        for (const auto& info : any) {
            EXPECT_TRUE(info.address.host() == "0.0.0.0" || info.address.host() == "::")
                    << info.address.to_string();
        }
        addrinfo_options active;
        active.type = SOCK_STREAM;
        std::vector<addrinfo_entry> loopback = co_await net::getaddrinfo("", 7, active);
        EXPECT_FALSE(loopback.empty());
        for (const auto& info : loopback) {
            EXPECT_TRUE(info.address.host() == "127.0.0.1" || info.address.host() == "::1")
                    << info.address.to_string();
        }
    }());
}

TEST_P(Dns, GetnameinfoNumericIsInline) {
    run([](event_loop& loop) -> coro<void> {
        auto [host, service] = co_await net::getnameinfo(sock_address::from_ip("127.0.0.1", 80),
                                                         NI_NUMERICHOST | NI_NUMERICSERV);
        EXPECT_EQ(host, "127.0.0.1");
        EXPECT_EQ(service, "80");
        EXPECT_FALSE(loop.has_default_executor());
    }(loop()));
}

TEST_P(Dns, GetnameinfoLooksNamesUpOnTheExecutor) {
    run([](event_loop& loop) -> coro<void> {
        auto [host, service] =
                co_await net::getnameinfo(sock_address::from_ip("127.0.0.1", 80), NI_NUMERICHOST);
        EXPECT_EQ(host, "127.0.0.1");
        EXPECT_EQ(service, "http");
        EXPECT_TRUE(loop.has_default_executor());
        bool failed = false;
        try {
            co_await net::getnameinfo(sock_address{}, NI_NUMERICSERV);
        } catch (const gai_error& e) {
            failed = e.code() == EAI_FAMILY;
        }
        EXPECT_TRUE(failed) << "an AF_UNSPEC address has no name (EAI_FAMILY)";
    }(loop()));
}

coro<std::vector<addrinfo_entry>> lookup_localhost() {
    co_return co_await net::getaddrinfo("localhost", 80);
}

TEST_P(Dns, CancelledLookupDropsTheThreadsResult) {
    run([](event_loop& loop) -> coro<void> {
        // One worker, held by a gate: the lookup is queued and can only run after the cancel.
        loop.set_default_executor(std::make_unique<thread_pool_executor>(1));
        std::promise<void> open;
        std::shared_future<void> gate = open.get_future().share();
        auto wait_gate = [gate] { gate.wait(); };
        future<void> gate_done = loop.run_in_executor(nullptr, wait_gate);
        task<std::vector<addrinfo_entry>> lookup = create_task(lookup_localhost());
        co_await spin(2);
        EXPECT_FALSE(lookup.done());
        lookup.cancel();
        bool cancelled = false;
        try {
            co_await lookup;
        } catch (const cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(lookup.cancelled());
        open.set_value();
        co_await gate_done;
        // Joins the worker after the lookup ran; its result reaches the loop and is dropped.
        co_await loop.shutdown_default_executor();
        co_await spin(2);
    }(loop()));
}

TEST_P(Dns, CancelledRunningLookupLeavesNothing) {
    run([]() -> coro<void> {
        // Cancelled right after it starts, while the C call may still be running.
        std::vector<task<std::vector<addrinfo_entry>>> lookups;
        for (int i = 0; i < 8; ++i) {
            lookups.push_back(create_task(lookup_localhost()));
        }
        co_await spin();
        for (auto& t : lookups) {
            t.cancel();
        }
        // A lookup may have finished before its cancel; either way it ends cleanly, and the
        // teardown checks that the late results left no frame, state or descriptor behind.
        int ended = 0;
        for (auto& t : lookups) {
            try {
                std::vector<addrinfo_entry> infos = co_await t;
                EXPECT_FALSE(infos.empty());
                ++ended;
            } catch (const cancelled_error&) {
                ++ended;
            }
        }
        EXPECT_EQ(ended, 8);
    }());
}

} // namespace

CORELOOP_ALL_BACKENDS(Dns);

} // namespace coreloop
