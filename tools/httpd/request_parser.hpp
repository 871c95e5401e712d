// Parses one HTTP/1.1 request head in place (RFC 9112): the request line, the headers this
// server acts on, and the faults it answers with 400, 413 or 505.
#pragma once

#include <cstddef>
#include <string_view>

namespace coreloop::httpd {

/// One request head, as views into the bytes it was parsed from.
struct request {
    std::string_view method;
    /// The path, without the query and without an absolute-form's scheme and authority.
    std::string_view path;
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    int minor_version = 1;
    /// After the response: keep the connection (HTTP/1.1 unless "Connection: close";
    /// HTTP/1.0 only with "Connection: keep-alive").
    bool keep_alive = true;
};

/// What parse_request found at the start of its input.
struct parse_result {
    enum class kind {
        incomplete, // no end of head yet (and not over the limit)
        complete,   // `req` is filled in; the head was `length` bytes
        error,      // answer `status` and close
    };
    kind what = kind::incomplete;
    std::size_t length = 0;
    int status = 0;
    request req;
};

/// Parses the request head at the start of `input`; a head (without its final empty line)
/// longer than `max_head` is a 413 whether or not it has ended. A request with a body
/// (Content-Length other than 0, or Transfer-Encoding) is a 413 too: this server takes
/// none.
parse_result parse_request(std::string_view input, std::size_t max_head) noexcept;

} // namespace coreloop::httpd
