// transport_life: the life every socket transport shares. It keeps itself alive while the
// connection is open, runs its protocol's lifecycle callbacks in asyncio's order through one
// ready-queue node (no allocation), calls connection_lost once, and closes the socket only
// when the kernel holds no op on it.
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <coreloop/coro.hpp>
#include <coreloop/detail/loop_core.hpp>
#include <coreloop/detail/ready_queue.hpp>
#include <coreloop/future.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/socket.hpp>

namespace coreloop::net::detail {

using coreloop::detail::flush_hook;
using coreloop::detail::loop_core;
using coreloop::detail::loop_resource;
using coreloop::detail::runnable;

class transport_life;

/// The callback a new transport calls once its protocol's connection_made() has run: it
/// completes `made` (unless the wait for it was cancelled).
inline std::function<void()> signal_made(future<void> made) {
    return [made]() mutable {
        if (!made.done()) {
            made.set_result();
        }
    };
}

/// Waits for `made` (create_connection returns only after connection_made, as asyncio);
/// a wait that fails or is cancelled closes t.
coro<void> wait_made(future<void> made, base_transport& t);

/// Keeps count of the connections a server accepted (for wait_closed and close_clients).
class connection_tracker {
public:
    virtual ~connection_tracker() = default;
    /// t's connection is lost and its socket closed.
    virtual void detach(transport_life& t) noexcept = 0;
};

class transport_life : public loop_resource {
public:
    transport_life(loop_core& loop, socket sock, std::shared_ptr<base_protocol> protocol);
    transport_life(const transport_life&) = delete;
    transport_life& operator=(const transport_life&) = delete;
    ~transport_life() override;

    /// Tells `tracker` when the connection is gone; it may keep the transport in its list
    /// through next_tracked/prev_tracked.
    void track(std::shared_ptr<connection_tracker> tracker) noexcept {
        tracker_ = std::move(tracker);
    }
    transport_life* next_tracked = nullptr;
    transport_life* prev_tracked = nullptr;

    /// The transport's close() and abort(), for a server's close_clients/abort_clients.
    virtual void close_connection() noexcept = 0;
    virtual void abort_connection() noexcept = 0;

    // loop_resource: the loop closes with the connection open; end the ops, run no user code.
    void on_loop_close() noexcept override;

protected:
    /// The callbacks run_events() delivers, in this order.
    enum event : unsigned { made = 1, stashed_data = 2, lost = 4 };

    /// Starts the life: `self` (this transport) is kept until the end, connection_made is due,
    /// and `on_made` (if set) is called once it has run.
    void begin(std::shared_ptr<base_transport> self, std::function<void()> on_made);
    /// Calls the on_made callback given to begin(), once (after connection_made).
    void announce_made() noexcept;
    void schedule(unsigned e) noexcept;
    /// Runs the due events (connection_made and the transport's own ones).
    virtual void run_events(unsigned due) noexcept = 0;
    /// True while an op of the transport is in the kernel or its flush hook is queued.
    virtual bool busy() const noexcept = 0;
    /// Cancels every op of the transport and drops what it buffered.
    virtual void end_ops() noexcept = 0;

    /// asyncio's _force_close: connection_lost(exc) soon, after end_ops().
    void force_close(std::exception_ptr exc) noexcept;
    /// asyncio's _fatal_error: reports exc unless it is a connection error, then force_close.
    void fatal_error(std::exception_ptr exc, const char* message) noexcept;
    void call_connection_lost() noexcept;
    /// Closes the socket and lets go of ourselves once everything is over; may destroy this,
    /// so callers do nothing after it.
    void maybe_finish() noexcept;
    /// Runs a protocol callback; an exception it throws is a fatal error of the connection
    /// (asyncio's "Fatal error: protocol.data_received() call failed.").
    template <class F>
    bool call_protocol(const char* what, F&& fn) noexcept;
    /// "peername", "sockname" and "socket".
    std::any socket_info(std::string_view name) const;
    /// Flow control towards the protocol: pause_writing() once the transport's buffer is over
    /// `high`, resume_writing() once it is back at `low` (never after the connection is lost).
    void update_protocol_flow(std::size_t buffered, std::size_t low, std::size_t high) noexcept;

    loop_core& loop_;
    socket sock_;
    std::shared_ptr<base_protocol> protocol_owner_;
    std::exception_ptr lost_exception_;
    int callback_depth_ = 0;
    bool closing_ = false;
    bool lost_scheduled_ = false;
    bool lost_called_ = false;
    bool loop_closing_ = false;
    bool protocol_paused_ = false;

private:
    struct owned_runnable : runnable {
        owned_runnable(run_fn run_it, run_fn drop_it, transport_life* t) noexcept
            : runnable(run_it, drop_it)
            , owner(t) {}
        transport_life* owner;
    };

    static void run_due(runnable& r) noexcept;
    static void drop_due(runnable& r) noexcept;

    std::shared_ptr<base_transport> self_; // alive while the connection is
    std::shared_ptr<connection_tracker> tracker_;
    std::function<void()> on_made_;
    owned_runnable events_runnable_;
    unsigned events_ = 0;
    bool registered_ = false;
};

template <class F>
bool transport_life::call_protocol(const char* what, F&& fn) noexcept {
    ++callback_depth_;
    bool ok = true;
    try {
        fn();
    } catch (...) {
        ok = false;
        const std::string message =
                std::string("Fatal error: protocol.") + what + "() call failed.";
        fatal_error(std::current_exception(), message.c_str());
    }
    --callback_depth_;
    return ok;
}

} // namespace coreloop::net::detail
