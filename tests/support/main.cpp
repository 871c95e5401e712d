// The test binaries' main: the process set-up the engine expects, then GoogleTest.
#include <csignal>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
    // Writes to a closed peer must fail with EPIPE, not kill the test (CPython does the same).
    std::signal(SIGPIPE, SIG_IGN);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
