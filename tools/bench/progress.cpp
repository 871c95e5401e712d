// show_progress: one line a second from the shards' live counters.
#include "bench/progress.hpp"

#include <unistd.h>

#include <coreloop/sleep.hpp>

namespace coreloop::bench {
namespace {

bool is_terminal(std::FILE* out) {
    return ::isatty(::fileno(out)) == 1;
}

double seconds_between(clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

} // namespace

coro<void> show_progress(std::vector<const live_counters*> counters,
                         clock::time_point start,
                         clock::time_point from,
                         std::FILE* out) {
    const bool terminal = is_terminal(out);
    std::uint64_t last_requests = 0;
    clock::time_point last = start;
    for (int tick = 1;; ++tick) {
        co_await sleep(start + std::chrono::seconds(tick) - clock::now());
        std::uint64_t requests = 0;
        std::uint64_t errors = 0;
        for (const live_counters* c : counters) {
            requests += c->requests.load(std::memory_order_relaxed);
            errors += c->errors.load(std::memory_order_relaxed);
        }
        const clock::time_point now = clock::now();
        const double rate =
                static_cast<double>(requests - last_requests) / seconds_between(last, now);
        last_requests = requests;
        last = now;
        std::fprintf(out, "%s[%6.1f s%s] %12.0f requests/s, %llu errors%s",
                     terminal ? "\r\033[K" : "", seconds_between(start, now),
                     now < from ? ", warm-up" : "", rate, static_cast<unsigned long long>(errors),
                     terminal ? "" : "\n");
        std::fflush(out);
    }
}

void end_progress(std::FILE* out) {
    if (is_terminal(out)) {
        std::fputs("\r\033[K", out);
        std::fflush(out);
    }
}

} // namespace coreloop::bench
