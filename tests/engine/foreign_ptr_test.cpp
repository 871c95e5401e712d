// foreign_ptr: the object is destroyed on the shard that made it wherever the pointer ends,
// copy() shares a shared_ptr from its owner, release and reset behave, and without a loop the
// last resort is a local destruction with an error logged.
#include <coreloop/foreign_ptr.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <coreloop/engine.hpp>
#include <coreloop/log.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/submit_to.hpp>

#include "support/engine_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using test::eventually;

using ForeignPtr = test::engine_test;

// Records the shard its destructor runs on (-1 while alive) and how many died.
struct death {
    std::atomic<int> on{-1};
    std::atomic<int> count{0};
};

struct probe {
    probe(death& d, int v)
        : where(d)
        , value(v) {}
    ~probe() {
        where.on = static_cast<int>(this_shard_id());
        ++where.count;
    }
    death& where;
    int value;
};

TEST_P(ForeignPtr, TheObjectDiesOnItsOwnerWhereverThePointerIsDropped) {
    engine e(options(3));
    death dropped_on_zero;
    death dropped_on_two;
    e.run([&]() -> coro<void> {
        // Made on shard 1, brought to shard 0, dropped here.
        foreign_ptr<std::unique_ptr<probe>> p = co_await submit_to(1, [&dropped_on_zero] {
            return make_foreign(std::make_unique<probe>(dropped_on_zero, 41));
        });
        EXPECT_EQ(p.get_owner_shard(), 1U);
        EXPECT_EQ(p->value, 41);
        p = {};
        EXPECT_EQ(dropped_on_zero.on.load(), -1); // on its way home, not destroyed here
        EXPECT_TRUE(co_await eventually([&] { return dropped_on_zero.count.load() == 1; }));
        // Made on shard 1, passed through shard 0 to shard 2, dropped there.
        auto q = co_await submit_to(1, [&dropped_on_two] {
            return make_foreign(std::make_unique<probe>(dropped_on_two, 42));
        });
        // Not inside the co_await expression: GCC 12 destroys a lambda that captures by value
        // twice there (here: the object, twice).
        auto on_two = submit_to(2, [r = std::move(q)]() mutable {
            const int v = r->value;
            r.reset(); // sent home from shard 2
            return v;
        });
        int seen_on_two = co_await std::move(on_two);
        EXPECT_EQ(seen_on_two, 42);
        EXPECT_TRUE(co_await eventually([&] { return dropped_on_two.count.load() == 1; }));
    });
    EXPECT_EQ(dropped_on_zero.on.load(), 1);
    EXPECT_EQ(dropped_on_zero.count.load(), 1);
    EXPECT_EQ(dropped_on_two.on.load(), 1);
    EXPECT_EQ(dropped_on_two.count.load(), 1);
}

TEST_P(ForeignPtr, OnItsOwnerTheObjectDiesAtOnce) {
    engine e(options(2));
    death d;
    e.run([&]() -> coro<void> {
        auto p = make_foreign(std::make_unique<probe>(d, 1));
        EXPECT_EQ(p.get_owner_shard(), 0U);
        p.reset();
        EXPECT_FALSE(p);
        EXPECT_EQ(d.count.load(), 1);
        EXPECT_EQ(d.on.load(), 0);
        co_return;
    });
}

TEST_P(ForeignPtr, AccessorsReleaseAndResetOnAnotherShard) {
    engine e(options(2));
    death released;
    death replaced;
    e.run([&]() -> coro<void> {
        auto p = co_await submit_to(
                1, [&released] { return make_foreign(std::make_unique<probe>(released, 7)); });
        EXPECT_TRUE(p);
        EXPECT_EQ(p.get()->value, 7);
        EXPECT_EQ((*p).value, 7);
        // release() gives the pointer back: the caller decides where it dies (here).
        std::unique_ptr<probe> raw = p.release();
        EXPECT_FALSE(p);
        EXPECT_EQ(p.get(), nullptr);
        EXPECT_TRUE(raw != nullptr && raw->value == 7);
        raw.reset();
        EXPECT_EQ(released.on.load(), 0);
        // reset(P) takes a new pointer made here: this shard becomes the owner.
        auto q = co_await submit_to(
                1, [&replaced] { return make_foreign(std::make_unique<probe>(replaced, 8)); });
        death fresh;
        q.reset(std::make_unique<probe>(fresh, 9)); // the old one goes home to shard 1
        EXPECT_EQ(q.get_owner_shard(), 0U);
        EXPECT_EQ(q->value, 9);
        EXPECT_TRUE(co_await eventually([&] { return replaced.count.load() == 1; }));
        q.reset();
        EXPECT_EQ(fresh.on.load(), 0);
    });
    EXPECT_EQ(replaced.on.load(), 1);
}

TEST_P(ForeignPtr, CopyMakesTheNewReferenceOnTheOwner) {
    engine e(options(3));
    death d;
    std::atomic<long> owner_count_seen{0};
    e.run([&]() -> coro<void> {
        auto p =
                co_await submit_to(1, [&d] { return make_foreign(std::make_shared<probe>(d, 5)); });
        foreign_ptr<std::shared_ptr<probe>> c = co_await p.copy();
        EXPECT_EQ(c.get_owner_shard(), 1U);
        EXPECT_EQ(c.get(), p.get());
        // Copied again from shard 2: made on shard 1 all the same.
        auto from_two = co_await submit_to(2, [&p]() -> coro<foreign_ptr<std::shared_ptr<probe>>> {
            co_return co_await p.copy();
        });
        EXPECT_EQ(from_two.get_owner_shard(), 1U);
        owner_count_seen = co_await submit_to(1, [&p] { return p.release().use_count(); });
        // release() on shard 1 dropped that reference there; two remain, held here.
        EXPECT_EQ(owner_count_seen.load(), 3);
        c = {};
        co_await submit_to(1, [] {}); // after c's reference was dropped there (FIFO ring)
        EXPECT_EQ(d.count.load(), 0); // from_two still holds it
        from_two.reset();
        EXPECT_TRUE(co_await eventually([&] { return d.count.load() == 1; }));
        foreign_ptr<std::shared_ptr<probe>> empty;
        auto empty_copy = co_await empty.copy();
        EXPECT_FALSE(empty_copy);
    });
    EXPECT_EQ(d.on.load(), 1);
    EXPECT_EQ(d.count.load(), 1);
}

TEST_P(ForeignPtr, ARawPointerOwnsNothingAndIsForgotten) {
    engine e(options(2));
    death d;
    e.run([&]() -> coro<void> {
        probe on_stack(d, 3);
        foreign_ptr<probe*> p =
                co_await submit_to(1, [&on_stack] { return make_foreign(&on_stack); });
        EXPECT_EQ(p.get_owner_shard(), 1U);
        EXPECT_EQ(p->value, 3);
        p.reset();
        co_await sleep(1ms);
        EXPECT_EQ(d.count.load(), 0);
    });
    EXPECT_EQ(d.count.load(), 1); // the probe on main's frame
    EXPECT_EQ(d.on.load(), 0);
}

TEST_P(ForeignPtr, WithNoLoopTheObjectDiesLocallyWithAnError) {
    death d;
    std::mutex m;
    std::vector<std::string> errors;
    log_sink old = set_log_sink([&](log_level level, std::string_view line) {
        if (level == log_level::error && line.find("foreign_ptr") != std::string_view::npos) {
            std::lock_guard lock(m);
            errors.emplace_back(line);
        }
    });
    {
        engine e(options(2));
        // Made on shard 1 and carried out of the engine: no shard 1 exists any more.
        foreign_ptr<std::unique_ptr<probe>> p =
                e.run([&]() -> coro<foreign_ptr<std::unique_ptr<probe>>> {
                    co_return co_await submit_to(
                            1, [&d] { return make_foreign(std::make_unique<probe>(d, 2)); });
                });
        EXPECT_EQ(p.get_owner_shard(), 1U);
        EXPECT_EQ(d.count.load(), 0);
    }
    set_log_sink(std::move(old));
    EXPECT_EQ(d.count.load(), 1);
    EXPECT_EQ(d.on.load(), 0); // this thread, outside any engine
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_NE(errors[0].find("shard 1"), std::string::npos) << errors[0];
}

CORELOOP_ENGINE_BACKENDS(ForeignPtr);

} // namespace
} // namespace coreloop
