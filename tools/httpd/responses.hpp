// The responses coreloop-httpd sends, appended to an output buffer: the fixed bodies of
// /plaintext and /json, a file's head, and the error pages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coreloop::httpd {

/// What the head of a response says about the connection.
enum class connection_header {
    none,       // HTTP/1.1 keeping the connection: nothing to say
    keep_alive, // HTTP/1.0 keeping it: "Connection: keep-alive"
    close,      // "Connection: close"
};

/// Appends a response head (status line, Server, Date, Content-Type, Content-Length, the
/// Connection header, any `extra` header lines each ending in CRLF, and the empty line).
void append_head(std::string& out,
                 int status,
                 std::string_view content_type,
                 std::uint64_t content_length,
                 connection_header connection,
                 std::string_view extra = {});

/// Appends a whole response with a body (the head alone when `head_only`, for HEAD).
void append_response(std::string& out,
                     int status,
                     std::string_view content_type,
                     std::string_view body,
                     connection_header connection,
                     bool head_only,
                     std::string_view extra = {});

/// Appends the error page of `status` (400, 404, 405, 413, 505...).
void append_error(std::string& out, int status, connection_header connection, bool head_only);

/// The Content-Type for a file name, by its extension.
std::string_view content_type_of(std::string_view name) noexcept;

} // namespace coreloop::httpd
