// Blocking the stop signals in the shard threads and reading them on shard 0.
#include "shard_signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
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

// Gives `signo` its default action (termination) in this process, now.
[[noreturn]] void terminate_with(int signo) noexcept {
    std::signal(signo, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    raise(signo);
    std::_Exit(128 + signo); // unreachable unless the signal was ignored
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
        const int signo = static_cast<int>(info.ssi_signo);
        if (engine_.stop_signal.load() != 0) {
            // A second signal while a signal's stop is under way: the user insists (a task
            // ignoring its cancellation keeps the engine from stopping), so the signal gets
            // its default action, as a second Ctrl-C ends asyncio.run at once.
            log(log_level::warning, "coreloop: second signal " + std::to_string(signo) +
                                            " while stopping: exiting now");
            terminate_with(signo);
        }
        engine_.on_signal(signo);
    }
}

} // namespace coreloop::detail
