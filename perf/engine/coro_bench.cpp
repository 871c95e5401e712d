// Budget row 2: co_await a coro that returns at once (<= 5 ns). One task awaits
// `coro<int> return_one()` inline (symmetric transfer, no scheduling) many times.
// Baselines: a plain out-of-line call, and a minimal lazy coroutine type with the same frame
// pool, which shows what coreloop's promise (a future state and a task core) adds.
#include <coroutine>
#include <cstdint>
#include <exception>
#include <utility>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"
#include <coreloop/detail/frame_allocator.hpp>
#include <coreloop/event_loop.hpp>

namespace {

using coreloop::coro;
using coreloop::event_loop;
using coreloop::bench::inner_batch;

coro<int> return_one() {
    co_return 1;
}

void BM_coro_await_ready(benchmark::State& state) {
    event_loop loop;
    loop.run_until_complete([](benchmark::State& st) -> coro<void> {
        std::int64_t sum = 0;
        for (auto _ : st) {
            for (int i = 0; i < inner_batch; ++i) {
                sum += co_await return_one();
            }
        }
        benchmark::DoNotOptimize(sum);
        coreloop::bench::set_items(st, inner_batch);
    }(state));
}
BENCHMARK(BM_coro_await_ready);

// --- baseline: a plain call ---------------------------------------------------------------

[[gnu::noinline]] int plain_one() {
    int one = 1;
    benchmark::DoNotOptimize(one);
    return one;
}

void BM_coro_baseline_call(benchmark::State& state) {
    std::int64_t sum = 0;
    for (auto _ : state) {
        for (int i = 0; i < inner_batch; ++i) {
            sum += plain_one();
        }
    }
    benchmark::DoNotOptimize(sum);
    coreloop::bench::set_items(state, inner_batch);
}
BENCHMARK(BM_coro_baseline_call);

// --- baseline: the least a lazy, symmetric-transfer coroutine can do ------------------------

template <class T>
class bare_coro {
public:
    struct promise_type {
        T value{};
        std::coroutine_handle<> continuation;

        bare_coro get_return_object() noexcept {
            return bare_coro(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct final_awaiter {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                return h.promise().continuation;
            }
            void await_resume() noexcept {}
        };
        final_awaiter final_suspend() noexcept { return {}; }
        void return_value(T v) noexcept { value = v; }
        void unhandled_exception() noexcept { std::terminate(); }

        static void* operator new(std::size_t size) { return coreloop::detail::frame_alloc(size); }
        static void operator delete(void* p, std::size_t size) noexcept {
            coreloop::detail::frame_free(p, size);
        }
    };

    explicit bare_coro(std::coroutine_handle<promise_type> h) noexcept
        : handle_(h) {}
    bare_coro(bare_coro&& other) noexcept
        : handle_(std::exchange(other.handle_, {})) {}
    bare_coro(const bare_coro&) = delete;
    bare_coro& operator=(const bare_coro&) = delete;
    bare_coro& operator=(bare_coro&&) = delete;
    ~bare_coro() {
        if (handle_) {
            handle_.destroy();
        }
    }

    auto operator co_await() && noexcept {
        struct awaiter {
            std::coroutine_handle<promise_type> handle;
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
                handle.promise().continuation = caller;
                return handle;
            }
            T await_resume() noexcept { return handle.promise().value; }
        };
        return awaiter{handle_};
    }

private:
    std::coroutine_handle<promise_type> handle_;
};

// An eager, self-destroying coroutine that runs the timed loop (no event loop involved).
struct bare_root {
    struct promise_type {
        bare_root get_return_object() noexcept { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
};

bare_coro<int> bare_one() {
    co_return 1;
}

bare_root bare_driver(benchmark::State& st) {
    std::int64_t sum = 0;
    for (auto _ : st) {
        for (int i = 0; i < inner_batch; ++i) {
            sum += co_await bare_one();
        }
    }
    benchmark::DoNotOptimize(sum);
    coreloop::bench::set_items(st, inner_batch);
}

void BM_coro_baseline_bare_coroutine(benchmark::State& state) {
    bare_driver(state);
}
BENCHMARK(BM_coro_baseline_bare_coroutine);

} // namespace
