// Finds where responses end in what a connection receives: fixed-size echo messages, or
// HTTP/1.1 responses (Content-Length, chunked, or delimited by the close), without keeping
// their bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace coreloop::bench {

class response_parser {
public:
    /// What one feed() found.
    struct outcome {
        unsigned complete = 0;   // responses that ended
        unsigned bad_status = 0; // of those, HTTP responses with a status outside 2xx/3xx
        bool malformed = false;  // the stream does not parse: the connection must go
    };

    /// Echo messages of `size` bytes each.
    static response_parser echo(std::size_t size) { return response_parser(size); }
    /// HTTP/1.1 responses; a head longer than max_head is malformed.
    static response_parser http(std::size_t max_head = 64 * 1024) {
        response_parser p(0);
        p.max_head_ = max_head;
        return p;
    }

    outcome feed(std::span<const std::byte> data);
    /// The peer closed: a body delimited by the close ends here (one more response).
    outcome at_eof();
    /// Part of a response has arrived.
    bool mid_response() const noexcept;
    /// The last complete HTTP response asked to close the connection.
    bool close_requested() const noexcept { return close_requested_; }

private:
    enum class state : std::uint8_t {
        head,
        body,          // body_left bytes to skip
        chunk_line,    // the chunk-size line
        chunk_data,    // body_left bytes, then CRLF
        chunk_trailer, // trailer lines up to an empty one
        until_close,
    };

    explicit response_parser(std::size_t echo_size)
        : echo_size_(echo_size) {}

    std::size_t feed_echo(std::size_t n, outcome& out) noexcept;
    /// Consumes from `data` what belongs to the current state; false when malformed.
    bool step(std::string_view& data, outcome& out);
    /// `head`: the status line and headers, through the empty line.
    bool parse_head(std::string_view head, outcome& out);
    bool take_line(std::string_view& data, std::string& line_out, bool& have_line);
    void finish(outcome& out) noexcept;

    std::size_t echo_size_ = 0; // 0: HTTP
    std::size_t echo_partial_ = 0;
    std::size_t max_head_ = 0;
    state state_ = state::head;
    std::string pending_; // the head, or a chunk line, collected across feeds
    std::uint64_t body_left_ = 0;
    bool current_bad_ = false;
    bool close_requested_ = false;
};

} // namespace coreloop::bench
