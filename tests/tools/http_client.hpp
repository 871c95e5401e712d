// A minimal HTTP/1.1 client on coreloop streams for the httpd tests: one response at a time,
// framed by Content-Length, with the headers by lower-case name.
#pragma once

#include <cctype>
#include <map>
#include <memory>
#include <string>

#include <coreloop/net/stream_reader.hpp>
#include <coreloop/net/stream_writer.hpp>
#include <coreloop/net/streams.hpp>

namespace coreloop::test {

struct http_response {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;

    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// Reads one response; the body too unless `head_only` (a response to HEAD).
/// Errors: incomplete_read_error when the server closes first.
inline coro<http_response> read_response(net::stream_reader& reader, bool head_only) {
    const std::string head = co_await reader.readuntil("\r\n\r\n");
    http_response r;
    r.status = std::stoi(head.substr(9, 3));
    std::size_t at = head.find("\r\n") + 2;
    while (at < head.size() - 2) {
        const std::size_t end = head.find("\r\n", at);
        const std::string line = head.substr(at, end - at);
        const std::size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        at = end + 2;
    }
    if (!head_only) {
        r.body = co_await reader.readexactly(std::stoul(r.header("content-length")));
    }
    co_return r;
}

inline coro<http_response> read_response(net::stream_reader& reader) {
    return read_response(reader, false);
}

/// "GET path HTTP/1.1" with a Host header and any `extra` header lines.
inline std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

} // namespace coreloop::test
