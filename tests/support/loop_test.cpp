// The loop fixture's set-up and teardown checks.
#include "support/loop_test.hpp"

#include <filesystem>
#include <system_error>

#include <coreloop/detail/frame_allocator.hpp>

namespace coreloop::test {

int count_open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n - 1; // the directory iterator's own descriptor
}

std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
    return std::string(to_string(info.param));
}

void loop_test::make_loop() {
    loop_.reset();
    options.io_backend = GetParam();
    try {
        loop_ = std::make_unique<event_loop>(options);
    } catch (const std::system_error& e) {
        GTEST_SKIP() << to_string(GetParam()) << " is not available here: " << e.what();
    }
    loop_->set_exception_handler([this](event_loop&, const exception_context& context) {
        reports.push_back({context.message, context.exception,
                           context.task ? context.task->get_name() : std::string()});
    });
}

void loop_test::SetUp() {
    fds_before_ = count_open_fds();
    frames_before_ = detail::live_frames();
    make_loop();
}

void loop_test::TearDown() {
    if (loop_) {
        loop_->close();
        loop_.reset();
    }
    EXPECT_EQ(count_open_fds(), fds_before_) << "file descriptors leaked";
    EXPECT_EQ(detail::live_frames(), frames_before_) << "coroutine frames or pooled objects leaked";
    for (const auto& r : reports) {
        ADD_FAILURE() << "unexpected report to the exception handler: " << r.message;
    }
}

} // namespace coreloop::test
