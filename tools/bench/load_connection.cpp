// load_connection: the request pump, response accounting and the ways a connection fails.
#include "bench/load_connection.hpp"

#include <any>

#include <sys/socket.h>

#include <coreloop/event_loop.hpp>

namespace coreloop::bench {

load_connection::load_connection(std::shared_ptr<client_context> context,
                                 std::size_t slot,
                                 clock::time_point first_intended)
    : context_(std::move(context))
    , shape_(context_->shape)
    , stats_(context_->stats)
    , slot_(context_->slots.at(slot))
    , parser_(shape_.mode == mode::http ? response_parser::http()
                                        : response_parser::echo(shape_.echo_size))
    , stamps_(shape_.pipeline)
    , first_intended_(first_intended) {}

void load_connection::connection_made(net::transport& t) {
    transport_ = &t;
    const clock::time_point now = clock::now();
    if (shape_.mode == mode::connect) {
        send(first_intended_, now);
        sending_done_ = true;
        return;
    }
    pump(now);
}

void load_connection::data_received(std::span<const std::byte> data) {
    stats_.received(data.size());
    const clock::time_point now = clock::now();
    on_responses(parser_.feed(data), now);
}

bool load_connection::eof_received() {
    on_responses(parser_.at_eof(), clock::now());
    if (!failed_ && (in_flight_ > 0 || parser_.mid_response())) {
        fail(error_kind::short_response);
    }
    return false;
}

void load_connection::connection_lost(std::exception_ptr exc) {
    if (exc && !failed_) {
        failed_ = true;
        stats_.error(error_kind::reset);
    }
    timer_.cancel();
    timer_armed_ = false;
    transport_ = nullptr;
    closed_.set();
}

coro<void> load_connection::wait_closed() {
    co_await closed_.wait();
}

void load_connection::check_timeout(clock::time_point now, clock::duration limit) noexcept {
    if (transport_ != nullptr && in_flight_ > 0 && now - waiting_since_ > limit) {
        fail(error_kind::timeout);
    }
}

void load_connection::stop() noexcept {
    sending_done_ = true;
    if (transport_ != nullptr) {
        transport_->abort();
    }
}

void load_connection::pump(clock::time_point now) {
    if (sending_done_ || transport_ == nullptr) {
        return;
    }
    if (shape_.interval == clock::duration::zero()) {
        while (in_flight_ < shape_.pipeline) {
            send(now, now);
        }
        return;
    }
    // Open loop: every request whose time has come leaves now, however late (its latency
    // still counts from its intended time), as long as the pipeline has room.
    while (in_flight_ < shape_.pipeline && slot_.next_intended <= now) {
        send(slot_.next_intended, now);
        slot_.next_intended += shape_.interval;
    }
    if (in_flight_ < shape_.pipeline) {
        arm_timer(slot_.next_intended);
    }
}

void load_connection::send(clock::time_point intended, clock::time_point now) {
    const std::string& request = shape_.requests[slot_.next_request];
    slot_.next_request = (slot_.next_request + 1) % shape_.requests.size();
    transport_->write(request);
    stats_.sent(request.size());
    if (in_flight_ == 0) {
        waiting_since_ = now;
    }
    stamps_[(head_ + in_flight_) % stamps_.size()] = intended;
    ++in_flight_;
}

void load_connection::on_responses(const response_parser::outcome& out, clock::time_point now) {
    if (out.complete > in_flight_) {
        fail(error_kind::bad_response); // an answer to nothing we asked
        return;
    }
    for (unsigned i = 0; i < out.complete; ++i) {
        stats_.completed(stamps_[head_], now);
        head_ = (head_ + 1) % stamps_.size();
        --in_flight_;
    }
    for (unsigned i = 0; i < out.bad_status; ++i) {
        stats_.error(error_kind::http_status);
    }
    if (out.malformed) {
        fail(error_kind::bad_response);
        return;
    }
    if (out.complete > 0) {
        waiting_since_ = now;
    }
    if (parser_.close_requested()) {
        sending_done_ = true; // the server closes after this response; the slot reconnects
    }
    if (sending_done_) {
        if (in_flight_ == 0 && transport_ != nullptr) {
            finish();
        }
        return;
    }
    pump(now);
}

void load_connection::finish() noexcept {
    if (shape_.mode == mode::connect) {
        // A reset instead of a FIN: the client would otherwise hold each closed connection's
        // port in TIME_WAIT for a minute, and churn would soon spend most of its time looking
        // for a free port (tcpkali and other churn tools close the same way).
        const std::any fd = transport_->get_extra_info("socket");
        const ::linger reset{1, 0};
        if (const int* s = std::any_cast<int>(&fd)) {
            ::setsockopt(*s, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        }
        transport_->abort();
        return;
    }
    transport_->close();
}

void load_connection::arm_timer(clock::time_point when) {
    if (timer_armed_) {
        return;
    }
    timer_armed_ = true;
    timer_ = get_running_loop().call_at(when, [this] {
        timer_armed_ = false;
        pump(clock::now());
    });
}

void load_connection::fail(error_kind kind) noexcept {
    if (!failed_) {
        failed_ = true;
        stats_.error(kind);
    }
    sending_done_ = true;
    if (transport_ != nullptr) {
        transport_->abort();
    }
}

} // namespace coreloop::bench
