// Helpers shared by the net tests: a protocol that records what happens to it, waiting for a
// condition, and payloads.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <coreloop/coro.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::test {

/// Sleeps in 1 ms steps until pred() holds; false after 10 s. (A template, not a
/// std::function: GCC 12 may destroy a temporary made inside a co_await expression twice.)
template <class Pred>
coro<bool> until(Pred pred) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > give_up) {
            co_return false;
        }
        co_await sleep(std::chrono::milliseconds(1));
    }
    co_return true;
}

/// Pseudo-random bytes, the same for the same n.
inline std::string payload(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 2463534242U;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return s;
}

/// A protocol that records its callbacks: "made", "eof", "lost", "pause", "resume"; the data
/// in `received`. Options: echo back what arrives; keep open on EOF.
class recorder : public net::protocol {
public:
    void connection_made(net::transport& t) override {
        transport = &t;
        events.emplace_back("made");
    }
    void data_received(std::span<const std::byte> data) override {
        received.append(reinterpret_cast<const char*>(data.data()), data.size());
        ++chunks;
        if (echo) {
            transport->write(data);
        }
        if (on_data) {
            on_data(data);
        }
    }
    bool eof_received() override {
        events.emplace_back("eof");
        return keep_open_on_eof;
    }
    void connection_lost(std::exception_ptr exc) override {
        events.emplace_back("lost");
        lost_with = exc;
        lost = true;
        transport = nullptr;
    }
    void pause_writing() override { events.emplace_back("pause"); }
    void resume_writing() override { events.emplace_back("resume"); }

    bool has(const std::string& event) const {
        for (const auto& e : events) {
            if (e == event) {
                return true;
            }
        }
        return false;
    }

    net::transport* transport = nullptr;
    std::vector<std::string> events;
    std::string received;
    std::size_t chunks = 0;
    std::exception_ptr lost_with;
    bool lost = false;
    bool echo = false;
    bool keep_open_on_eof = false;
    std::function<void(std::span<const std::byte>)> on_data;
};

/// The bytes of a string.
inline std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

} // namespace coreloop::test

/// ASSERT_TRUE for coroutines (gtest's ASSERT_* use `return`): fails and leaves the coroutine.
#define CO_ASSERT_TRUE(condition)                                                                  \
    if (!(condition)) {                                                                            \
        ADD_FAILURE() << "expected true: " #condition;                                             \
        co_return;                                                                                 \
    }
