// The fixture of engine and cross-shard tests: engine options on the backend under test, and
// a teardown check that no file descriptor was left behind.
#pragma once

#include <optional>

#include <gtest/gtest.h>

#include <coreloop/engine.hpp>

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

} // namespace coreloop::test

/// Instantiates an engine_test suite once per backend.
#define CORELOOP_ENGINE_BACKENDS(suite) CORELOOP_ALL_BACKENDS(suite)
