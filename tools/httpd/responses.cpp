// Response heads and bodies. The Date header is formatted at most once a second per thread.
#include "httpd/responses.hpp"

#include <charconv>
#include <ctime>

namespace coreloop::httpd {
namespace {

std::string_view reason(int status) noexcept {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 500:
        return "Internal Server Error";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/// "Sun, 22 Nov 2026 18:08:39 GMT" for the current second, cached per thread (a shard).
std::string_view http_date() noexcept {
    thread_local std::time_t cached_second = -1;
    thread_local char text[32];
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm utc{};
        ::gmtime_r(&now, &utc);
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached_second = now;
    }
    return text;
}

void append_number(std::string& out, std::uint64_t n) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    (void)ec; // 24 digits hold any 64-bit number
    out.append(digits, end);
}

} // namespace

void append_head(std::string& out,
                 int status,
                 std::string_view content_type,
                 std::uint64_t content_length,
                 connection_header connection,
                 std::string_view extra) {
    out += "HTTP/1.1 ";
    append_number(out, static_cast<std::uint64_t>(status));
    out += ' ';
    out += reason(status);
    out += "\r\nServer: coreloop\r\nDate: ";
    out += http_date();
    out += "\r\nContent-Type: ";
    out += content_type;
    out += "\r\nContent-Length: ";
    append_number(out, content_length);
    out += "\r\n";
    if (connection == connection_header::close) {
        out += "Connection: close\r\n";
    } else if (connection == connection_header::keep_alive) {
        out += "Connection: keep-alive\r\n";
    }
    out += extra;
    out += "\r\n";
}

void append_response(std::string& out,
                     int status,
                     std::string_view content_type,
                     std::string_view body,
                     connection_header connection,
                     bool head_only,
                     std::string_view extra) {
    append_head(out, status, content_type, body.size(), connection, extra);
    if (!head_only) {
        out += body;
    }
}

void append_error(std::string& out, int status, connection_header connection, bool head_only) {
    std::string body(reason(status));
    body += '\n';
    const std::string_view extra = status == 405 ? "Allow: GET, HEAD\r\n" : "";
    append_response(out, status, "text/plain", body, connection, head_only, extra);
}

std::string_view content_type_of(std::string_view name) noexcept {
    struct entry {
        std::string_view extension;
        std::string_view type;
    };
    static constexpr entry types[] = {
            {".html", "text/html; charset=utf-8"},
            {".htm", "text/html; charset=utf-8"},
            {".txt", "text/plain; charset=utf-8"},
            {".css", "text/css"},
            {".js", "text/javascript"},
            {".json", "application/json"},
            {".svg", "image/svg+xml"},
            {".png", "image/png"},
            {".jpg", "image/jpeg"},
            {".jpeg", "image/jpeg"},
            {".gif", "image/gif"},
            {".ico", "image/x-icon"},
            {".wasm", "application/wasm"},
            {".pdf", "application/pdf"},
    };
    for (const entry& e : types) {
        if (name.size() > e.extension.size() &&
            name.substr(name.size() - e.extension.size()) == e.extension) {
            return e.type;
        }
    }
    return "application/octet-stream";
}

} // namespace coreloop::httpd
