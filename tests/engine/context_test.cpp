#include <coreloop/context.hpp>

#include <string>

#include <coreloop/event_loop.hpp>
#include <coreloop/sleep.hpp>

#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

class Context : public test::loop_test {};

context_var<int> request_id("request_id");
context_var<std::string> user("user", std::string("anonymous"));

coro<int> set_then_read(int value) {
    request_id.set(value);
    co_await sleep(1ms); // the other tasks run and set their own values meanwhile
    co_return request_id.get();
}

coro<int> read_later() {
    co_await sleep(0ms);
    co_return request_id.get(-1);
}

TEST_P(Context, GetGivesTheDefaultOrThrows) {
    run([]() -> coro<void> {
        EXPECT_EQ(user.get(), "anonymous");
        EXPECT_THROW(request_id.get(), std::out_of_range);
        EXPECT_EQ(request_id.get(7), 7);
        co_return;
    }());
}

TEST_P(Context, EachTaskSeesOnlyItsOwnValue) {
    run([]() -> coro<void> {
        task<int> a = create_task(set_then_read(1));
        task<int> b = create_task(set_then_read(2));
        EXPECT_EQ(co_await a, 1);
        EXPECT_EQ(co_await b, 2);
        EXPECT_EQ(request_id.get(-1), -1) << "a child's set leaks into its creator";
    }());
}

TEST_P(Context, TaskStartsWithACopyOfItsCreatorsContext) {
    run([]() -> coro<void> {
        request_id.set(5);
        task<int> child = create_task(read_later());
        request_id.set(6); // after the snapshot: the child keeps 5
        EXPECT_EQ(co_await child, 5);
        task<int> setter = create_task(set_then_read(9));
        EXPECT_EQ(co_await setter, 9);
        EXPECT_EQ(request_id.get(), 6);
    }());
}

TEST_P(Context, ResetRestoresThePreviousValue) {
    run([]() -> coro<void> {
        auto first = request_id.set(1);
        auto second = request_id.set(2);
        request_id.reset(second);
        EXPECT_EQ(request_id.get(), 1);
        EXPECT_THROW(request_id.reset(second), std::runtime_error) << "token used twice";
        request_id.reset(first);
        EXPECT_THROW(request_id.get(), std::out_of_range);
        co_return;
    }());
}

TEST_P(Context, TokenFromAnotherContextIsRejected) {
    run([]() -> coro<void> {
        auto token = request_id.set(3);
        context other = copy_context();
        other.run([&] { EXPECT_THROW(request_id.reset(token), std::invalid_argument); });
        co_return;
    }());
}

TEST_P(Context, CopyContextRunKeepsItsChanges) {
    run([]() -> coro<void> {
        request_id.set(1);
        context copy = copy_context();
        int seen = copy.run([] {
            int before = request_id.get();
            request_id.set(2);
            return before;
        });
        EXPECT_EQ(seen, 1);
        EXPECT_EQ(request_id.get(), 1) << "run's change leaks into the current context";
        EXPECT_EQ(copy.run([] { return request_id.get(); }), 2);
        co_return;
    }());
}

TEST_P(Context, TaskGivenAContextSharesIt) {
    run([]() -> coro<void> {
        context shared = copy_context();
        task<int> t = create_task(set_then_read(4), {.context = shared});
        EXPECT_EQ(co_await t, 4);
        EXPECT_EQ(shared.run([] { return request_id.get(); }), 4);
        EXPECT_EQ(t.get_context().run([] { return request_id.get(); }), 4);
    }());
}

TEST_P(Context, EagerTaskRunsInItsOwnCopyFromTheStart) {
    run([]() -> coro<void> {
        request_id.set(8);
        task<int> t = create_task(set_then_read(10), {.eager_start = true});
        EXPECT_EQ(request_id.get(), 8) << "the eager step's set leaked into the creator";
        EXPECT_EQ(co_await t, 10);
    }());
}

CORELOOP_ALL_BACKENDS(Context);

} // namespace
} // namespace coreloop
