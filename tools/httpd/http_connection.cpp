// http_connection: the request loop, routing, file sending, flow control and idle timeout.
#include "httpd/http_connection.hpp"

#include <coreloop/exceptions.hpp>
#include <coreloop/net/sendfile.hpp>

#include "httpd/responses.hpp"

namespace coreloop::httpd {
namespace {

constexpr std::string_view plaintext_body = "Hello, World!";
constexpr std::string_view json_body = "{\"message\":\"Hello, World!\"}";
// Responses are handed to the transport when this many bytes are buffered, so that a long
// pipeline sees pause_writing() in time.
constexpr std::size_t flush_threshold = 16 * 1024;

/// The responses being written by this shard's connection that is answering now. One buffer
/// per shard: only one connection answers at a time, and an idle one holds no output.
std::string& output() {
    thread_local std::string buffer;
    return buffer;
}

std::string_view as_text(std::span<const std::byte> data) noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

connection_header connection_for(const request& req) noexcept {
    if (!req.keep_alive) {
        return connection_header::close;
    }
    return req.minor_version == 0 ? connection_header::keep_alive : connection_header::none;
}

} // namespace

http_connection::http_connection(std::shared_ptr<const server_config> config)
    : config_(std::move(config)) {}

void http_connection::connection_made(net::transport& t) {
    transport_ = &t;
    loop_ = &get_running_loop();
    last_activity_ = loop_->time();
    arm_idle_timer(last_activity_ + config_->idle_timeout);
}

void http_connection::data_received(std::span<const std::byte> data) {
    last_activity_ = loop_->time();
    if (closing_) {
        return; // the connection closes after its last response: ignore what follows
    }
    if (pending_.empty()) {
        const std::string_view input = as_text(data);
        const std::size_t used = answer(input);
        if (used < input.size() && !closing_) {
            pending_.assign(input.substr(used));
            pending_since_ = last_activity_;
        }
        return;
    }
    pending_.append(as_text(data));
    const std::size_t used = answer(pending_);
    pending_.erase(0, used);
    if (used > 0) {
        pending_since_ = last_activity_;
    }
}

bool http_connection::eof_received() {
    peer_done_ = true;
    // Keep the writing side open while answers are still due (the last one closes it). A
    // partial request left in pending_ will never be completed.
    const bool answers_due = sending_file_ || write_paused_;
    return answers_due && !closing_;
}

void http_connection::connection_lost(std::exception_ptr exc) {
    (void)exc; // a peer that resets is nothing to report
    idle_timer_.cancel();
    if (file_task_ && !file_task_->done()) {
        file_task_->cancel();
    }
    transport_ = nullptr;
}

void http_connection::pause_writing() {
    write_paused_ = true;
    transport_->pause_reading();
}

void http_connection::resume_writing() {
    write_paused_ = false;
    if (!sending_file_) {
        // Not from inside the transport's callback: it is in the middle of its own write.
        loop_->call_soon([self = shared_from_this()] { self->resume_answering(); });
    }
}

std::size_t http_connection::answer(std::string_view input) {
    std::size_t used = 0;
    while (!answering_stopped()) {
        const parse_result parsed = parse_request(input.substr(used), config_->max_request_bytes);
        if (parsed.what == parse_result::kind::incomplete) {
            break;
        }
        if (parsed.what == parse_result::kind::error) {
            append_error(output(), parsed.status, connection_header::close, false);
            closing_ = true;
            break;
        }
        used += parsed.length;
        if (!respond(parsed.req)) {
            break;
        }
        if (output().size() >= flush_threshold) {
            flush();
        }
    }
    flush();
    // After a half-close, what is left unanswered once nothing holds the answering back is an
    // unfinished request, which will never end.
    if (transport_ != nullptr && !sending_file_ && (closing_ || (peer_done_ && !write_paused_))) {
        finish();
    }
    return used;
}

bool http_connection::respond(const request& req) {
    const bool head_only = req.method == "HEAD";
    const bool get = head_only || req.method == "GET";
    const connection_header connection = connection_for(req);
    closing_ = connection == connection_header::close;
    std::string& out = output();
    if (req.path == "/plaintext" || req.path == "/json") {
        if (!get) {
            append_error(out, 405, connection, head_only);
        } else if (req.path == "/plaintext") {
            append_response(out, 200, "text/plain", plaintext_body, connection, head_only);
        } else {
            append_response(out, 200, "application/json", json_body, connection, head_only);
        }
    } else if (req.path.substr(0, 7) == "/files/") {
        if (!get) {
            append_error(out, 405, connection, head_only);
        } else {
            return respond_file(req, head_only);
        }
    } else {
        append_error(out, 404, connection, head_only);
    }
    return !closing_;
}

bool http_connection::respond_file(const request& req, bool head_only) {
    static_file file = static_file::open(config_->root, req.path.substr(7));
    const connection_header connection = connection_for(req);
    if (file.status() != 200) {
        append_error(output(), file.status(), connection, head_only);
        return !closing_;
    }
    append_head(output(), 200, file.content_type(), file.size(), connection);
    if (head_only || file.size() == 0) {
        return !closing_;
    }
    flush(); // the head goes first; sendfile sends what the transport buffered before it
    sending_file_ = true;
    transport_->pause_reading();
    file_task_ = create_task(send_file(weak_from_this(), std::move(file)));
    return false;
}

coro<void> http_connection::send_file(std::weak_ptr<http_connection> weak, static_file file) {
    // Locals, not the parameter, so that the file closes when the sending ends rather than
    // when the finished task is dropped.
    const static_file sent_file = std::move(file);
    const std::optional<std::size_t> count = sent_file.size();
    bool sent = false;
    try {
        co_await net::sendfile(*transport_, sent_file.fd(), 0, count, true);
        sent = true;
    } catch (const std::exception&) {
        // The connection broke (or closed) in the middle: nothing more can be said on it.
    }
    // A lost connection cancels this task, so it does not get here; the weak_ptr (not a
    // shared one, which would keep the connection and its task in a cycle) makes sure.
    const std::shared_ptr<http_connection> self = weak.lock();
    if (!self || transport_ == nullptr) {
        co_return;
    }
    sending_file_ = false;
    if (!sent) {
        transport_->abort();
        co_return;
    }
    last_activity_ = loop_->time();
    if (closing_ || (peer_done_ && pending_.empty())) {
        finish();
        co_return;
    }
    resume_answering();
}

void http_connection::finish() {
    closing_ = true;
    if (lingering_since_) {
        return;
    }
    if (peer_done_ || !transport_->can_write_eof()) {
        transport_->close(); // after the buffered responses
        return;
    }
    // A peer still sending (requests pipelined after a close, the rest of a bad request)
    // would get a reset that can destroy the responses it has not read yet. So end only the
    // writing side and drop what comes in until the peer closes or the idle timeout passes
    // (nginx's lingering close).
    transport_->write_eof();
    lingering_since_ = loop_->time();
}

void http_connection::flush() {
    std::string& out = output();
    if (!out.empty()) {
        if (transport_ != nullptr) {
            transport_->write(out);
        }
        out.clear();
    }
}

void http_connection::resume_answering() {
    if (transport_ != nullptr && lingering_since_) {
        transport_->resume_reading(); // to see the peer's close
        return;
    }
    if (transport_ == nullptr || answering_stopped()) {
        return;
    }
    if (!pending_.empty()) {
        pending_.erase(0, answer(pending_));
        pending_since_ = loop_->time();
    }
    if (transport_ != nullptr && !answering_stopped() && !peer_done_) {
        transport_->resume_reading();
    }
}

void http_connection::arm_idle_timer(clock::time_point when) {
    idle_timer_ = loop_->call_at(when, [this] { on_idle_timer(); });
}

void http_connection::on_idle_timer() {
    if (transport_ == nullptr) {
        return;
    }
    const clock::time_point now = loop_->time();
    const auto idle = config_->idle_timeout;
    // A file on its way counts as activity; a partial request must complete within the
    // timeout even if it trickles in (slowloris); otherwise the last bytes received count.
    clock::time_point deadline = sending_file_ ? now + idle : last_activity_ + idle;
    if (!pending_.empty() && !sending_file_ && !write_paused_) {
        deadline = std::min(deadline, pending_since_ + idle);
    }
    if (lingering_since_) {
        deadline = std::min(deadline, *lingering_since_ + idle);
    }
    if (now < deadline) {
        arm_idle_timer(deadline);
        return;
    }
    // Nothing is due to a peer that stayed silent; output it never read is dropped.
    if (transport_->get_write_buffer_size() > 0) {
        transport_->abort();
    } else {
        transport_->close();
    }
}

} // namespace coreloop::httpd
