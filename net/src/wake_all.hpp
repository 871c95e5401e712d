// Waking a list of waiters, each a future of its own (so that cancelling one wait cancels
// nothing another waits on).
#pragma once

#include <exception>
#include <utility>
#include <vector>

#include <coreloop/future.hpp>

namespace coreloop::net::detail {

/// Completes every future of `waiters` still pending, with exc or with no value, and empties
/// the list (futures added meanwhile wait for the next call).
inline void wake_all(std::vector<future<void>>& waiters, std::exception_ptr exc) noexcept {
    std::vector<future<void>> woken = std::move(waiters);
    waiters.clear();
    for (auto& w : woken) {
        if (w.done()) {
            continue; // its wait was cancelled
        }
        if (exc) {
            w.set_exception(exc);
        } else {
            w.set_result();
        }
    }
}

} // namespace coreloop::net::detail
