// One shard's loop: the iteration (asyncio's _run_once), running, stopping, closing.
#include <coreloop/event_loop.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "fd_watchers.hpp"
#include "reactor.hpp"
#include "shard/shard_links.hpp"
#include <coreloop/executor.hpp>
#include <coreloop/log.hpp>

namespace coreloop {

namespace {

bool debug_from_environment() {
    const char* value = std::getenv("CORELOOP_DEBUG");
    return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (const base_exception& x) {
        return std::string("base_exception: ") + x.what();
    } catch (...) {
        return "unknown exception";
    }
}

// How soon a loop whose messages wait for room in a full ring tries again.
constexpr std::chrono::nanoseconds backlog_retry = std::chrono::microseconds(50);

// Makes `loop` the thread's running loop for a scope.
class running_scope {
public:
    explicit running_scope(detail::loop_core* loop) noexcept
        : outer_(std::exchange(detail::tls_running_loop, loop)) {}
    running_scope(const running_scope&) = delete;
    running_scope& operator=(const running_scope&) = delete;
    ~running_scope() { detail::tls_running_loop = outer_; }

private:
    detail::loop_core* outer_;
};

} // namespace

event_loop::event_loop(loop_options options) {
    core_.owner = this;
    core_.thread = std::this_thread::get_id();
    core_.debug = options.debug || debug_from_environment();
    core_.virtual_clock = options.virtual_time;
    core_.io = detail::make_reactor(options.io_backend).release();
    core_.io->configure_recv_buffers(options.recv_buffer_count, options.recv_buffer_size);
    inbox_.set_reactor(core_.io);
    core_.now = detail::clock::now();
    watchers_ = std::make_unique<detail::fd_watchers>(core_);
    idle_poll_ = options.idle_poll;
}

event_loop::~event_loop() {
    if (running_) {
        log(log_level::error, "event_loop destroyed while running");
        std::abort();
    }
    close();
}

std::string_view event_loop::backend_name() const noexcept {
    return core_.io != nullptr ? core_.io->name() : "closed";
}

void event_loop::check_runnable() const {
    if (closed_) {
        throw std::runtime_error("Event loop is closed");
    }
    if (running_) {
        throw std::runtime_error("This event loop is already running");
    }
    if (detail::tls_running_loop != nullptr) {
        throw std::runtime_error("Cannot run the event loop while another loop is running");
    }
    core_.check_thread("run");
}

void event_loop::run_forever() {
    check_runnable();
    running_scope scope(&core_);
    running_ = true;
    struct reset {
        event_loop& loop;
        ~reset() {
            loop.running_ = false;
            loop.stopping_ = false;
        }
    } on_exit{*this};
    for (;;) {
        run_once();
        if (stopping_) {
            break;
        }
    }
}

std::optional<std::chrono::nanoseconds> event_loop::poll_timeout() const noexcept {
    if (!core_.ready.empty() || stopping_) {
        return std::chrono::nanoseconds::zero();
    }
    auto deadline = core_.timers.next_deadline();
    if (!deadline) {
        return std::nullopt;
    }
    auto now = core_.virtual_clock ? core_.now : detail::clock::now();
    return std::max(std::chrono::nanoseconds::zero(), *deadline - now);
}

void event_loop::run_once() {
    // Writes of the last iteration, one system call per transport.
    core_.run_flushes();
    detail::shard_links* links = core_.links;
    if (links != nullptr) {
        // Publishes what the last batch sent to other shards, one batch per target.
        links->flush();
    }
    auto timeout = poll_timeout();
    if (links != nullptr && links->has_backlog()) {
        // A full ring: its receiver does not say when it has room, so come back soon.
        timeout = std::min(timeout.value_or(backlog_retry), backlog_retry);
    }
    if (core_.virtual_clock && timeout && *timeout > std::chrono::nanoseconds::zero()) {
        // Virtual time: look for I/O without waiting, then jump to the next timer (unless a
        // callback was posted from another thread meanwhile).
        core_.io->poll(std::chrono::nanoseconds::zero());
        if (core_.ready.empty() && !core_.has_flushes() && !inbox_.has_posted()) {
            core_.now = std::max(core_.now, *core_.timers.next_deadline());
        }
    } else if (timeout && *timeout == std::chrono::nanoseconds::zero()) {
        // Busy: no atomic operation besides drain_into()'s relaxed check.
        core_.io->poll(timeout);
    } else if (idle_poll_ > std::chrono::nanoseconds::zero() && idle_poll_found_work(timeout)) {
        // Work arrived while polling: nothing to block for.
    } else {
        // About to block: announce it, then look at the inbox once more (the loop's side of
        // the wake protocol, argued in detail/inbox.hpp).
        inbox_.set_sleeping();
        if (inbox_.has_posted() || (links != nullptr && links->has_incoming())) {
            timeout = std::chrono::nanoseconds::zero();
        }
        core_.io->poll(timeout);
        inbox_.clear_sleeping();
    }
    core_.update_time();
    while (detail::timer_entry* t = core_.timers.pop_expired(core_.now)) {
        t->fire(*t);
    }
    // Posted callbacks run in this batch, after what timers and I/O made ready.
    inbox_.drain_into(core_.ready);
    if (links != nullptr) {
        links->drain_into(core_.ready);
    }
    run_batch();
}

// Polls without blocking until something is ready, idle_poll_ passes, or the next timer is
// due. Returns true if work was found.
bool event_loop::idle_poll_found_work(std::optional<std::chrono::nanoseconds> timeout) {
    const auto start = detail::clock::now();
    const auto until = start + (timeout ? std::min(*timeout, idle_poll_) : idle_poll_);
    detail::shard_links* links = core_.links;
    do {
        core_.io->poll(std::chrono::nanoseconds::zero());
        if (!core_.ready.empty() || core_.has_flushes() || inbox_.has_posted() ||
            (links != nullptr && links->has_incoming())) {
            return true;
        }
    } while (detail::clock::now() < until);
    return false;
}

void event_loop::run_batch() {
    // Only what was ready when the batch began runs now; anything made ready while it runs
    // waits for the next iteration (asyncio's ntodo).
    detail::runnable* r = core_.ready.take_all();
    while (r != nullptr) {
        detail::runnable* next = r->next_ready;
        r->next_ready = nullptr;
        r->queued = false;
        if (core_.debug) {
            auto start = detail::clock::now();
            r->run(*r);
            auto took = detail::clock::now() - start;
            if (took > slow_callback_duration) {
                log(log_level::warning, "Executing a callback or task step took " +
                                                std::to_string(took.count() / 1000000) + " ms");
            }
        } else {
            r->run(*r);
        }
        r = next;
    }
}

void event_loop::close() {
    if (running_) {
        throw std::runtime_error("Cannot close a running event loop");
    }
    if (closed_) {
        return;
    }
    closed_ = true;
    running_scope scope(&core_); // frames destroyed below may close sockets
    // Executor jobs still running post their completions before the inbox closes, so those
    // completions are dropped here, on this thread, like every other posted callback.
    join_executors();
    drop_posted();
    watchers_->stop_all();
    drop_ready();
    drop_pending_tasks();
    core_.close_resources();
    core_.cancel_all_ops();
    drop_ready();
    while (detail::timer_entry* t = core_.timers.pop_expired(detail::clock::time_point::max())) {
        if (t->discard != nullptr) {
            t->discard(*t);
        }
    }
    delete core_.io;
    core_.io = nullptr;
}

void event_loop::drop_posted() noexcept {
    detail::inbox_node* n = inbox_.close();
    while (n != nullptr) {
        detail::inbox_node* next = n->next_posted;
        n->discard(*n);
        n = next;
    }
}

void event_loop::post(detail::inbox_node& node) {
    if (!inbox_.push(node)) {
        node.discard(node);
        throw std::runtime_error("Event loop is closed");
    }
}

// Unlinks everything on the ready queue without running it. A node may live in a task's frame
// (the task itself, an awaiter's wake-up node), so this runs before any frame is destroyed.
void event_loop::drop_ready() noexcept {
    while (detail::runnable* r = core_.ready.take_all()) {
        while (r != nullptr) {
            detail::runnable* next = r->next_ready;
            r->next_ready = nullptr;
            r->queued = false;
            if (r->discard != nullptr) {
                r->discard(*r);
            }
            r = next;
        }
    }
}

void event_loop::drop_pending_tasks() noexcept {
    while (core_.tasks != nullptr) {
        // Ending a task wakes its waiters (they join the ready queue) and may free its frame:
        // unlink what is queued before the next task's frame can go.
        core_.tasks->abandon();
        drop_ready();
    }
}

void event_loop::default_exception_handler(const exception_context& context) const {
    std::string text =
            context.message.empty() ? "Unhandled exception in event loop" : context.message;
    if (context.task) {
        text += "\ntask: " + context.task->get_name();
    }
    if (context.exception) {
        text += "\nexception: " + describe(context.exception);
    }
    log(log_level::error, text);
}

void event_loop::call_exception_handler(const exception_context& context) noexcept {
    try {
        if (handler_) {
            handler_(*this, context);
        } else {
            default_exception_handler(context);
        }
    } catch (...) {
        log(log_level::error,
            "Unhandled error in exception handler: " + describe(std::current_exception()) +
                    "\nwhile handling: " + context.message);
    }
}

void event_loop::add_reader(int fd, std::function<void()> fn) {
    core_.check_thread("add_reader");
    watchers_->add(true, fd, std::move(fn));
}

bool event_loop::remove_reader(int fd) {
    return watchers_->remove(true, fd);
}

void event_loop::add_writer(int fd, std::function<void()> fn) {
    core_.check_thread("add_writer");
    watchers_->add(false, fd, std::move(fn));
}

bool event_loop::remove_writer(int fd) {
    return watchers_->remove(false, fd);
}

coro<std::string> event_loop::sock_recv(socket& sock, std::size_t n) {
    std::string data(n, '\0');
    std::size_t got = co_await sock_recv_into(sock, std::as_writable_bytes(std::span(data)));
    data.resize(got);
    co_return data;
}

coro<void> event_loop::sock_sendall(socket& sock, std::span<const std::byte> data) {
    while (!data.empty()) {
        std::size_t sent = co_await detail::send_awaiter(core_, sock.fileno(), data);
        data = data.subspan(sent);
    }
}

event_loop& get_running_loop() {
    return *detail::running_loop_core().owner;
}

} // namespace coreloop
