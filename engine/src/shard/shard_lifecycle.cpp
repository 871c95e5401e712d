// What each shard's loop runs for the whole engine run: its main task, then its part of the
// stop sequence (engine.hpp's class comment).
#include <chrono>
#include <csignal>
#include <vector>

#include "engine_state.hpp"
#include <coreloop/detail/done_awaiter.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::detail {

namespace {

// Waits until `state` is done. The lifecycle must not be cut short: a cancel aimed at it
// (a user's code cancelling every task, say) is withdrawn and the wait goes on.
coro<void> wait_done(future_state_base& state) {
    for (;;) {
        try {
            co_await done_awaiter(state);
            co_return;
        } catch (const cancelled_error&) {
            current_task().uncancel();
        }
    }
}

// The other pending tasks of this shard's loop.
std::vector<any_task> other_tasks() {
    std::vector<any_task> tasks = all_tasks();
    std::erase(tasks, current_task());
    return tasks;
}

// How long an idle-but-waiting shard sleeps between looks at its messages still away
// (those of submissions dropped unawaited, which no task waits for).
constexpr auto away_poll = std::chrono::milliseconds(1);

} // namespace

coro<void> shard_lifecycle(engine_state& e, shard_id id) {
    shard_slot& s = e.shards[id];
    const bool has_main = e.main_on_every_shard || id == 0;
    if (has_main && !e.stopping.load()) {
        try {
            s.main = create_task(e.main(), "main");
        } catch (...) {
            e.record_error(std::current_exception());
            e.request_stop();
        }
        if (s.main) {
            co_await wait_done(s.main.core()->state());
            e.main_finished(s.main);
        }
    } else if (has_main) {
        e.main_finished(any_task{}); // stopped before it started
    }
    if (!e.stopping.load()) {
        co_await wait_done(*s.stop.state());
    }
    // Cancel what is left and wait for it, and for every message this shard sent to come
    // back; meanwhile the loop keeps serving the other shards' calls.
    bool quiet_once = false;
    for (;;) {
        std::vector<any_task> left = other_tasks();
        if (left.empty() && s.links->away() == 0) {
            // A message counts as home when it is drained, before it runs; if it sends
            // something new when it runs (later in this batch), the next look sees it. So the
            // shard is idle only when two looks, an iteration apart, agree.
            if (quiet_once) {
                break;
            }
            quiet_once = true;
            co_await sleep(std::chrono::nanoseconds::zero());
            continue;
        }
        quiet_once = false;
        for (any_task& t : left) {
            t.cancel("engine stopping");
        }
        for (any_task& t : left) {
            co_await wait_done(t.core()->state());
        }
        if (left.empty()) {
            co_await sleep(away_poll);
        }
    }
    e.shard_idle();
    co_await wait_done(*s.all_idle.state());
    if (s.loop->has_default_executor()) {
        co_await s.loop->shutdown_default_executor();
    }
}

void engine_state::main_finished(const any_task& main_task) {
    std::exception_ptr error;
    if (!main_task) {
        error = std::make_exception_ptr(cancelled_error("the engine stopped before main started"));
    } else if (main_task.cancelled()) {
        switch (stop_signal.load()) {
        case SIGINT:
            error = std::make_exception_ptr(keyboard_interrupt("SIGINT"));
            break;
        case SIGTERM:
            error = std::make_exception_ptr(system_exit("SIGTERM"));
            break;
        default:
            error = std::make_exception_ptr(cancelled_error("main was cancelled"));
        }
    } else {
        error = main_task.core()->state().exception();
    }
    if (error != nullptr) {
        record_error(error);
        request_stop();
    } else if (mains_left_.fetch_sub(1) == 1) {
        request_stop();
    }
}

void engine_state::shard_idle() noexcept {
    if (idle_shards_.fetch_add(1) + 1 != plan.shards()) {
        return;
    }
    for (shard_slot& s : shards) {
        try {
            s.loop->call_soon_threadsafe([&s] {
                if (!s.all_idle.done()) {
                    s.all_idle.set_result();
                }
            });
        } catch (...) {
            // Unreachable: no loop closes before every shard is idle.
        }
    }
}

} // namespace coreloop::detail
