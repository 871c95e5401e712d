// add_reader / add_writer: a callback run on each iteration while a descriptor is ready.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include <coreloop/detail/io_op.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>

namespace coreloop::detail {

/// One watched (fd, direction). A one-shot poll op is re-armed after each callback run,
/// which gives asyncio's level-triggered behaviour on both backends: the callback runs once
/// per iteration for as long as the descriptor stays ready.
class fd_watch final : public io_op, public runnable {
public:
    fd_watch(loop_core& loop, int fd, std::uint32_t events, std::function<void()> fn);

    void replace(std::function<void()> fn) { fn_ = std::move(fn); }
    /// Arms the poll op.
    void start() noexcept;
    /// Stops calling back; the watch frees itself once no op or queue entry refers to it.
    void stop() noexcept;

private:
    static void on_poll(io_op& op, int res, std::uint32_t flags) noexcept;
    static void run_it(runnable& r) noexcept;
    static void drop(runnable& r) noexcept;
    void free_if_idle() noexcept;

    loop_core& loop_;
    std::function<void()> fn_;
    bool active_ = true;
    bool op_in_flight_ = false;
    bool running_ = false;
};

class fd_watchers {
public:
    explicit fd_watchers(loop_core& loop) noexcept
        : loop_(loop) {}
    fd_watchers(const fd_watchers&) = delete;
    fd_watchers& operator=(const fd_watchers&) = delete;
    ~fd_watchers() { stop_all(); }

    void add(bool reading, int fd, std::function<void()> fn);
    bool remove(bool reading, int fd) noexcept;
    /// Loop close: stops every watch (their ops are cancelled through the reactor).
    void stop_all() noexcept;

private:
    std::unordered_map<int, fd_watch*>& map(bool reading) noexcept {
        return reading ? readers_ : writers_;
    }

    loop_core& loop_;
    std::unordered_map<int, fd_watch*> readers_;
    std::unordered_map<int, fd_watch*> writers_;
};

} // namespace coreloop::detail
