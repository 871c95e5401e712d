// response_parser: echo counting and an HTTP/1.1 response framer (RFC 9112 section 6.3's
// rules for the body length, for responses to GET).
#include "bench/response_parser.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace coreloop::bench {
namespace {

constexpr std::size_t max_line = 4096; // a chunk-size or trailer line

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20); // ASCII letters and the header-name bytes
           });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::size_t response_parser::feed_echo(std::size_t n, outcome& out) noexcept {
    echo_partial_ += n;
    out.complete = static_cast<unsigned>(echo_partial_ / echo_size_);
    echo_partial_ %= echo_size_;
    return out.complete;
}

response_parser::outcome response_parser::feed(std::span<const std::byte> data) {
    outcome out;
    if (echo_size_ != 0) {
        feed_echo(data.size(), out);
        return out;
    }
    std::string_view rest(reinterpret_cast<const char*>(data.data()), data.size());
    while (!rest.empty()) {
        if (!step(rest, out)) {
            out.malformed = true;
            break;
        }
    }
    return out;
}

response_parser::outcome response_parser::at_eof() {
    outcome out;
    if (echo_size_ == 0 && state_ == state::until_close) {
        finish(out);
    }
    return out;
}

bool response_parser::mid_response() const noexcept {
    if (echo_size_ != 0) {
        return echo_partial_ != 0;
    }
    return state_ != state::head || !pending_.empty();
}

void response_parser::finish(outcome& out) noexcept {
    ++out.complete;
    if (current_bad_) {
        ++out.bad_status;
    }
    state_ = state::head;
}

bool response_parser::take_line(std::string_view& data, std::string& line_out, bool& have_line) {
    const std::size_t nl = data.find('\n');
    const std::size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
    line_out.append(data.substr(0, take));
    data.remove_prefix(take);
    have_line = nl != std::string_view::npos;
    return line_out.size() <= max_line;
}

bool response_parser::step(std::string_view& data, outcome& out) {
    switch (state_) {
    case state::head: {
        // Usually a whole head sits in `data`: parse it there, without a copy.
        const std::size_t from = pending_.size() >= 3 ? pending_.size() - 3 : 0;
        if (pending_.empty()) {
            const std::size_t end = data.find("\r\n\r\n");
            if (end != std::string_view::npos) {
                const std::string_view head = data.substr(0, end + 4);
                data.remove_prefix(end + 4);
                return parse_head(head, out);
            }
        }
        const std::size_t before = pending_.size();
        pending_.append(data);
        const std::size_t end = pending_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
            data = {};
            return pending_.size() <= max_head_;
        }
        data.remove_prefix(end + 4 - before);
        pending_.resize(end + 4);
        const bool ok = parse_head(pending_, out);
        pending_.clear();
        return ok;
    }
    case state::body:
    case state::chunk_data: {
        const std::size_t take = static_cast<std::size_t>(
                std::min<std::uint64_t>(body_left_, static_cast<std::uint64_t>(data.size())));
        data.remove_prefix(take);
        body_left_ -= take;
        if (body_left_ == 0) {
            if (state_ == state::body) {
                finish(out);
            } else {
                state_ = state::chunk_line; // body_left_ counted the chunk's CRLF
            }
        }
        return true;
    }
    case state::chunk_line: {
        bool have_line = false;
        if (!take_line(data, pending_, have_line)) {
            return false;
        }
        if (!have_line) {
            return true;
        }
        std::string_view line = trim(std::string_view(pending_).substr(0, pending_.find(';')));
        std::uint64_t size = 0;
        auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        const bool ok = ec == std::errc() && ptr == line.data() + line.size() && !line.empty();
        pending_.clear();
        if (!ok) {
            return false;
        }
        if (size == 0) {
            state_ = state::chunk_trailer;
        } else {
            state_ = state::chunk_data;
            body_left_ = size + 2;
        }
        return true;
    }
    case state::chunk_trailer: {
        bool have_line = false;
        if (!take_line(data, pending_, have_line)) {
            return false;
        }
        if (have_line) {
            const bool last = trim(pending_).empty();
            pending_.clear();
            if (last) {
                finish(out);
            }
        }
        return true;
    }
    case state::until_close:
        data = {};
        return true;
    }
    return false;
}

bool response_parser::parse_head(std::string_view head, outcome& out) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.1 200 OK": the version, a space, three digits.
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
        return false;
    }
    int status = 0;
    auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
    if (ec != std::errc() || ptr != status_line.data() + 12 || status < 100 || status > 999) {
        return false;
    }
    std::uint64_t length = 0;
    bool have_length = false;
    bool chunked = false;
    close_requested_ = status_line[7] == '0'; // HTTP/1.0 closes unless it says keep-alive
    head.remove_prefix(eol + 2);
    while (!head.empty() && head != "\r\n") {
        const std::size_t end = head.find("\r\n");
        const std::string_view line = head.substr(0, end);
        head.remove_prefix(end + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return false;
        }
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "content-length")) {
            auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (e != std::errc() || p != value.data() + value.size()) {
                return false;
            }
            have_length = true;
        } else if (iequals(name, "transfer-encoding")) {
            chunked = value.size() >= 7 && iequals(value.substr(value.size() - 7), "chunked");
        } else if (iequals(name, "connection")) {
            close_requested_ = iequals(value, "close");
        }
    }
    if (status < 200) {
        return true; // 1xx: an interim response, the real one follows
    }
    current_bad_ = status >= 400;
    if (status == 204 || status == 304) {
        finish(out);
    } else if (chunked) {
        state_ = state::chunk_line;
    } else if (have_length) {
        body_left_ = length;
        state_ = state::body;
        if (length == 0) {
            finish(out);
        }
    } else {
        state_ = state::until_close;
    }
    return true;
}

} // namespace coreloop::bench
