// Blocking the stop signals in the shard threads and reading them on shard 0.
#include "shard_signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include "engine_state.hpp"
#include <coreloop/log.hpp>

namespace coreloop::detail {

namespace {

sigset_t stop_signals() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

blocked_stop_signals::blocked_stop_signals(bool enabled) noexcept
    : enabled_(enabled) {
    if (enabled_) {
        const sigset_t set = stop_signals();
        pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
}

blocked_stop_signals::~blocked_stop_signals() {
    if (!enabled_) {
        return;
    }
    const sigset_t set = stop_signals();
    const timespec no_wait{};
    while (sigtimedwait(&set, nullptr, &no_wait) > 0) {
        // A signal that came during the shutdown: the engine has stopped already.
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

signal_reader::signal_reader(engine_state& engine, event_loop& loop)
    : engine_(engine) {
    const sigset_t set = stop_signals();
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) {
        throw std::system_error(errno, std::system_category(), "signalfd");
    }
    loop.add_reader(fd_, [this] { on_readable(); });
}

signal_reader::~signal_reader() {
    close(fd_);
}

void signal_reader::on_readable() noexcept {
    signalfd_siginfo info{};
    while (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (engine_.stopping.load()) {
            log(log_level::warning, "coreloop: signal " + std::to_string(info.ssi_signo) +
                                            " while stopping; the engine is shutting down");
        }
        engine_.on_signal(static_cast<int>(info.ssi_signo));
    }
}

} // namespace coreloop::detail
