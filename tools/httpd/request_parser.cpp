// parse_request: strict where a mistake could desynchronize a pipelined connection (the
// request line, header syntax, bodies), lenient about what it does not use.
#include "httpd/request_parser.hpp"

#include <algorithm>

namespace coreloop::httpd {
namespace {

using kind = parse_result::kind;

parse_result fail(int status) noexcept {
    parse_result r;
    r.what = kind::error;
    r.status = status;
    return r;
}

/// RFC 9110's tchar: the bytes of methods and header names.
bool is_token_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20); // letters and the other tchars
           });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// Whether a comma-separated header value lists `token` (case-insensitively).
bool lists(std::string_view value, std::string_view token) noexcept {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), token)) {
            return true;
        }
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
    return false;
}

/// "HTTP/1.1" -> 1, "HTTP/1.0" -> 0; -2 for another well-formed version (505), -1 otherwise.
int parse_version(std::string_view v) noexcept {
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !digit(v[5]) || v[6] != '.' || !digit(v[7])) {
        return -1;
    }
    if (v[5] == '1' && (v[7] == '0' || v[7] == '1')) {
        return v[7] - '0';
    }
    return -2;
}

/// The path of a request target: origin-form as is, absolute-form without its scheme and
/// authority; the query is dropped. Empty when the target is not one of those.
std::string_view target_path(std::string_view target) noexcept {
    if (target.size() > 7 && iequals(target.substr(0, 7), "http://")) {
        const std::size_t slash = target.find('/', 7);
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (target.empty() || target.front() != '/') {
        return {};
    }
    return target.substr(0, target.find('?'));
}

bool parse_request_line(std::string_view line, request& req, int& status) noexcept {
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) {
        status = 400;
        return false;
    }
    req.method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const int version = parse_version(line.substr(sp2 + 1));
    const bool target_ok = std::none_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
    });
    req.path = target_path(target);
    if (!is_token(req.method) || !target_ok || req.path.empty() || version == -1) {
        status = 400;
        return false;
    }
    if (version == -2) {
        status = 505;
        return false;
    }
    req.minor_version = version;
    req.keep_alive = version == 1;
    return true;
}

/// One header line; false with `status` set when the request must be refused.
bool parse_header(std::string_view line, request& req, bool& has_host, int& status) noexcept {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
        status = 400; // no colon, an empty name, or whitespace before the colon
        return false;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (value.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) {
        status = 400;
        return false;
    }
    if (iequals(name, "host")) {
        has_host = true;
    } else if (iequals(name, "connection")) {
        if (lists(value, "close")) {
            req.keep_alive = false;
        } else if (lists(value, "keep-alive")) {
            req.keep_alive = true;
        }
    } else if (iequals(name, "content-length")) {
        if (value.empty() ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            status = 400;
            return false;
        }
        if (value.find_first_not_of('0') != std::string_view::npos) {
            status = 413;
            return false;
        }
    } else if (iequals(name, "transfer-encoding")) {
        status = 413;
        return false;
    }
    return true;
}

parse_result parse_head(std::string_view input, std::size_t max_head) noexcept {
    const std::size_t end = input.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        return input.size() > max_head + 3 ? fail(413) : parse_result{};
    }
    if (end > max_head) {
        return fail(413);
    }
    parse_result result;
    request& req = result.req;
    std::string_view head = input.substr(0, end + 2); // every line ends with CRLF
    std::size_t eol = head.find("\r\n");
    int status = 0;
    if (!parse_request_line(head.substr(0, eol), req, status)) {
        return fail(status);
    }
    head.remove_prefix(eol + 2);
    bool has_host = false;
    while (!head.empty()) {
        eol = head.find("\r\n");
        if (!parse_header(head.substr(0, eol), req, has_host, status)) {
            return fail(status);
        }
        head.remove_prefix(eol + 2);
    }
    if (req.minor_version == 1 && !has_host) {
        return fail(400); // RFC 9112 section 3.2
    }
    result.what = kind::complete;
    result.length = end + 4;
    return result;
}

} // namespace

parse_result parse_request(std::string_view input, std::size_t max_head) noexcept {
    // Empty lines before a request line are ignored (RFC 9112 section 2.2).
    std::size_t skipped = 0;
    while (input.substr(skipped, 2) == "\r\n") {
        skipped += 2;
    }
    parse_result result = parse_head(input.substr(skipped), max_head);
    if (result.what == kind::complete) {
        result.length += skipped;
    }
    return result;
}

} // namespace coreloop::httpd
