// server_core: accepting (multishot), the connections' protocols and transports, closing, and
// the back-off when accept runs out of descriptors (EMFILE).
#include "server_core.hpp"

#include <algorithm>
#include <cerrno>
#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_errors.hpp"
#include <coreloop/detail/raw_io.hpp>
#include <coreloop/event_loop.hpp>
#include <coreloop/log.hpp>
#include <coreloop/sleep.hpp>

namespace coreloop::net::detail {
namespace {

// asyncio waits ACCEPT_RETRY_DELAY (1 s) after EMFILE; we start lower and double up to it, so
// a short burst costs little and a long shortage costs one wake-up per second.
constexpr std::chrono::milliseconds first_backoff{50};
constexpr std::chrono::milliseconds max_backoff{1000};

bool out_of_resources(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Errors that concern one connection that was aborted before we took it: just go on.
bool transient(int err) noexcept {
    return err == ECONNABORTED || err == EAGAIN || err == EINTR || err == EPROTO || err == EPERM ||
           err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET ||
           err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH;
}

} // namespace

server_core::server_core(loop_core& loop, protocol_factory factory, bool keep_alive)
    : loop_(loop)
    , factory_(std::move(factory))
    , keep_alive_(keep_alive) {
    loop_.add_resource(*this);
    registered_ = true;
}

server_core::~server_core() {
    if (registered_) {
        loop_.remove_resource(*this);
    }
    backoff_timer_.cancel();
}

void server_core::add_listener(socket sock, std::string cleanup_path) {
    auto l = std::make_unique<listener>();
    l->server = this;
    l->index = sockets_.size();
    l->family = sock.getsockname().family();
    l->on_complete = &server_core::on_accept;
    if (!cleanup_path.empty()) {
        struct ::stat st {};
        if (::stat(cleanup_path.c_str(), &st) == 0) {
            cleanup_paths_.push_back(std::move(cleanup_path));
            cleanup_ids_.emplace_back(st.st_dev, st.st_ino);
        }
    }
    sockets_.push_back(std::move(sock));
    listeners_.push_back(std::move(l));
}

void server_core::start_serving() {
    if (closed_) {
        throw std::runtime_error("server is closed");
    }
    if (serving_) {
        return;
    }
    serving_ = true;
    for (auto& l : listeners_) {
        arm(*l);
    }
}

void server_core::arm(listener& l) noexcept {
    if (l.in_flight || !serving_ || closed_ || backing_off_) {
        return;
    }
    using coreloop::detail::op_code;
    l.code = l.multishot ? op_code::accept_multishot : op_code::accept;
    l.fd = sockets_[l.index].fileno();
    l.addr = nullptr;
    l.addr_len_out = nullptr;
    l.in_flight = true;
    if (accepts_in_flight_++ == 0) {
        self_ = shared_from_this();
    }
    coreloop::detail::submit_op(loop_, l);
}

void server_core::on_accept(io_op& op, int res, std::uint32_t flags) noexcept {
    auto& l = static_cast<listener&>(op);
    server_core& self = *l.server;
    // The accept op may have been our last reference to the server.
    std::shared_ptr<server_core> keep = self.self_;
    const bool final = (flags & coreloop::detail::completion_more) == 0;
    if (final) {
        l.in_flight = false;
        --self.accepts_in_flight_;
    }
    if (res >= 0) {
        self.accepted(l, socket(res));
        if (final) {
            self.arm(l); // a single-shot accept, or a multishot one the kernel ended
        }
    } else if (final) {
        self.accept_failed(l, -res);
    }
    self.maybe_release();
}

void server_core::accepted(listener& l, socket sock) noexcept {
    if (closed_) {
        return; // sock closes here
    }
    backoff_ = std::chrono::milliseconds{0};
    try {
        if (l.family == AF_INET || l.family == AF_INET6) {
            // asyncio sets TCP_NODELAY on every TCP transport: a request-response protocol
            // must not wait for Nagle's timer.
            sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
        }
        if (keep_alive_) {
            sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
        }
        std::shared_ptr<base_protocol> protocol = factory_();
        auto t = socket_transport::start(loop_, std::move(sock), std::move(protocol));
        t->track(shared_from_this());
        t->next_tracked = clients_;
        if (clients_ != nullptr) {
            clients_->prev_tracked = t.get();
        }
        clients_ = t.get();
        ++client_count_;
    } catch (...) {
        exception_context context;
        context.message = "Error on transport creation for incoming connection";
        context.exception = std::current_exception();
        loop_.report(context);
    }
}

void server_core::accept_failed(listener& l, int err) noexcept {
    if (closed_ || err == ECANCELED) {
        return;
    }
    if ((err == EINVAL || err == EOPNOTSUPP) && l.multishot) {
        l.multishot = false; // a kernel before 5.19: one accept op per connection
        arm(l);
        return;
    }
    if (transient(err)) {
        arm(l);
        return;
    }
    // Out of descriptors (or another error we cannot fix): say so, stop accepting for a while
    // and keep serving the connections we have. The waiting connections stay in the backlog.
    exception_context context;
    context.message = out_of_resources(err) ? "socket.accept() out of system resource"
                                            : "Error on accepting a connection";
    context.exception = make_io_error(err, "accept");
    loop_.report(context);
    back_off();
}

void server_core::back_off() noexcept {
    if (backing_off_) {
        return;
    }
    backing_off_ = true;
    backoff_ = std::clamp(backoff_ * 2, first_backoff, max_backoff);
    try {
        std::weak_ptr<server_core> weak = weak_from_this();
        backoff_timer_ = loop_.owner->call_later(backoff_, [weak] {
            if (auto s = weak.lock()) {
                s->resume_after_backoff();
            }
        });
    } catch (...) {
        backing_off_ = false; // no timer: retry at once rather than never
    }
}

void server_core::resume_after_backoff() noexcept {
    backing_off_ = false;
    for (auto& l : listeners_) {
        arm(*l);
    }
}

void server_core::close() noexcept {
    if (closed_) {
        return;
    }
    closed_ = true;
    serving_ = false;
    backoff_timer_.cancel();
    backing_off_ = false;
    for (auto& l : listeners_) {
        if (l->in_flight) {
            coreloop::detail::cancel_op(loop_, *l);
        }
    }
    if (serving_forever_ && !serving_forever_->done()) {
        serving_forever_->cancel();
    }
    update_closed_event();
    maybe_release();
}

// Listening sockets close once no accept holds them; a Unix socket's file goes with them if
// it is still ours.
void server_core::close_listeners() noexcept {
    if (listeners_closed_) {
        return;
    }
    listeners_closed_ = true;
    for (auto& s : sockets_) {
        s.close();
    }
    for (std::size_t i = 0; i < cleanup_paths_.size(); ++i) {
        struct ::stat st {};
        if (::stat(cleanup_paths_[i].c_str(), &st) == 0 && st.st_dev == cleanup_ids_[i].first &&
            st.st_ino == cleanup_ids_[i].second) {
            ::unlink(cleanup_paths_[i].c_str());
        }
    }
}

void server_core::maybe_release() noexcept {
    if (accepts_in_flight_ > 0) {
        return;
    }
    if (closed_) {
        close_listeners();
    }
    auto keep = std::move(self_); // may destroy this: nothing follows
}

void server_core::close_clients() noexcept {
    for (transport_life* t = clients_; t != nullptr;) {
        transport_life* next = t->next_tracked; // close() may detach t at once
        t->close_connection();
        t = next;
    }
}

void server_core::abort_clients() noexcept {
    for (transport_life* t = clients_; t != nullptr;) {
        transport_life* next = t->next_tracked;
        t->abort_connection();
        t = next;
    }
}

void server_core::detach(transport_life& t) noexcept {
    (t.prev_tracked != nullptr ? t.prev_tracked->next_tracked : clients_) = t.next_tracked;
    if (t.next_tracked != nullptr) {
        t.next_tracked->prev_tracked = t.prev_tracked;
    }
    t.next_tracked = t.prev_tracked = nullptr;
    --client_count_;
    update_closed_event();
}

void server_core::update_closed_event() noexcept {
    if (closed_ && client_count_ == 0) {
        closed_and_empty_.set();
    }
}

void server_core::on_loop_close() noexcept {
    registered_ = false;
    serving_ = false;
    closed_ = true;
    backoff_timer_.cancel();
    for (auto& l : listeners_) {
        if (l->in_flight) {
            coreloop::detail::cancel_op(loop_, *l);
        }
    }
    if (accepts_in_flight_ == 0) {
        close_listeners();
    }
}

std::span<const socket> server_core::sockets() const noexcept {
    if (closed_) {
        return {};
    }
    return sockets_;
}

coro<void> server_core::wait_closed() {
    // Keep ourselves alive across the wait: the handle that called us may be dropped.
    std::shared_ptr<server_core> keep = shared_from_this();
    co_await closed_and_empty_.wait();
}

coro<void> server_core::serve_forever() {
    if (serving_forever_) {
        throw std::runtime_error("server is already being awaited on serve_forever()");
    }
    if (closed_) {
        throw std::runtime_error("server is closed");
    }
    std::shared_ptr<server_core> keep = shared_from_this();
    start_serving();
    serving_forever_ = loop_.owner->create_future<void>();
    // Only cancellation ends the wait: the task's, or close() cancelling the future.
    std::exception_ptr cancelled;
    try {
        co_await *serving_forever_;
    } catch (const cancelled_error&) {
        cancelled = std::current_exception();
    }
    serving_forever_.reset();
    close();
    co_await wait_closed();
    std::rethrow_exception(cancelled);
}

} // namespace coreloop::net::detail
