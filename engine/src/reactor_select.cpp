// Chooses the reactor backend at start-up: io_uring when usable, else epoll, saying why once.
#include "reactor.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include <coreloop/log.hpp>

namespace coreloop {

std::string_view to_string(backend b) noexcept {
    switch (b) {
    case backend::io_uring:
        return "io_uring";
    case backend::epoll:
        return "epoll";
    case backend::auto_:
        return "auto";
    }
    return "?";
}

namespace detail {
namespace {

backend from_environment() {
    const char* forced = std::getenv("CORELOOP_BACKEND");
    if (forced == nullptr || *forced == '\0') {
        return backend::auto_;
    }
    std::string_view name = forced;
    if (name == "io_uring" || name == "uring") {
        return backend::io_uring;
    }
    if (name == "epoll") {
        return backend::epoll;
    }
    if (name != "auto") {
        log(log_level::warning, "CORELOOP_BACKEND=" + std::string(name) +
                                        " is not io_uring, epoll or auto; using auto");
    }
    return backend::auto_;
}

} // namespace

std::unique_ptr<reactor> make_reactor(backend b) {
    if (b == backend::auto_) {
        b = from_environment();
    }
    if (b == backend::epoll) {
        return make_epoll_reactor();
    }
    if (b == backend::io_uring) {
        return make_uring_reactor();
    }
    try {
        return make_uring_reactor();
    } catch (const std::system_error& e) {
        static std::atomic<bool> said{false};
        if (!said.exchange(true)) {
            log(log_level::info,
                std::string("io_uring unavailable (") + e.what() + "); using epoll");
        }
    }
    return make_epoll_reactor();
}

} // namespace detail
} // namespace coreloop
