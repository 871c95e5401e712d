// The fixture of engine and cross-shard tests: engine options on the backend under test, and
// a teardown check that no file descriptor was left behind.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include <coreloop/coro.hpp>
#include <coreloop/engine.hpp>
#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

namespace coreloop::test {

class engine_test : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override { fds_before_ = count_open_fds(); }
    void TearDown() override {
        EXPECT_EQ(count_open_fds(), fds_before_) << "file descriptors leaked";
    }

    /// Options for `shards` shards (nullopt: one per CPU) on the backend under test.
    engine_options options(std::optional<unsigned> shards) const {
        engine_options o;
        o.shards = shards;
        o.io_backend = GetParam();
        return o;
    }

private:
    int fds_before_ = 0;
};

/// Counts its live instances (copies and moves included), so a test sees whether the
/// messages carrying it, and the results made of it, were all destroyed.
struct tracked {
    static inline std::atomic<int> live{0};
    tracked() noexcept { ++live; }
    tracked(const tracked&) noexcept { ++live; }
    tracked(tracked&&) noexcept { ++live; }
    tracked& operator=(const tracked&) = default;
    tracked& operator=(tracked&&) = default;
    ~tracked() { --live; }
};

/// The seed of a randomized stress test: random per process, printed once so that a failure
/// can be studied.
inline std::uint32_t stress_seed() {
    static const std::uint32_t seed = [] {
        const std::uint32_t s = std::random_device{}();
        std::printf("shard stress seed: %u\n", s); // NOLINT(cppcoreguidelines-pro-type-vararg)
        return s;
    }();
    return seed;
}

/// Polls pred on the running loop every 100 us until it holds; false after 10 s.
template <class Pred>
coro<bool> eventually(Pred pred) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > give_up) {
            co_return false;
        }
        co_await sleep(std::chrono::microseconds(100));
    }
    co_return true;
}

} // namespace coreloop::test

/// Instantiates an engine_test suite once per backend.
#define CORELOOP_ENGINE_BACKENDS(suite) CORELOOP_ALL_BACKENDS(suite)
