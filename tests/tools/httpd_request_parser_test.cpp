// parse_request: request lines, the headers the server acts on, and every fault's status.
#include "httpd/request_parser.hpp"

#include <string>

#include <gtest/gtest.h>

namespace coreloop::httpd {
namespace {

using kind = parse_result::kind;

parse_result parse(const std::string& text, std::size_t max_head = 8192) {
    return parse_request(text, max_head);
}

TEST(HttpdRequestParser, AnOriginFormGet) {
    const std::string text = "GET /plaintext?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nnext";
    const parse_result r = parse(text);
    ASSERT_EQ(r.what, kind::complete);
    EXPECT_EQ(r.length, text.size() - 4);
    EXPECT_EQ(r.req.method, "GET");
    EXPECT_EQ(r.req.path, "/plaintext");
    EXPECT_EQ(r.req.minor_version, 1);
    EXPECT_TRUE(r.req.keep_alive);
}

TEST(HttpdRequestParser, AbsoluteFormAndLeadingEmptyLines) {
    const std::string text = "\r\n\r\nGET http://h:80/json HTTP/1.1\r\nHost: h\r\n\r\n";
    const parse_result r = parse(text);
    ASSERT_EQ(r.what, kind::complete);
    EXPECT_EQ(r.req.path, "/json");
    EXPECT_EQ(r.length, text.size());
}

TEST(HttpdRequestParser, ConnectionHeadersAndVersions) {
    EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n").req.keep_alive);
    EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
    const parse_result kept = parse("GET / HTTP/1.0\r\nconnection: TE, keep-alive\r\n\r\n");
    EXPECT_TRUE(kept.req.keep_alive);
    EXPECT_EQ(kept.req.minor_version, 0);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").what, kind::complete);
}

TEST(HttpdRequestParser, IncompleteUntilTheEmptyLine) {
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n").what, kind::incomplete);
    EXPECT_EQ(parse("").what, kind::incomplete);
    EXPECT_EQ(parse("\r\n").what, kind::incomplete);
}

TEST(HttpdRequestParser, FaultsAndTheirStatuses) {
    const std::pair<std::string, int> cases[] = {
            {"garbage\r\n\r\n", 400},
            {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n", 13), 400},
            {"GET /plaintext\r\nHost: a\r\n\r\n", 400},
            {"GET  /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400},
            {"GET plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400},
            {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\n\r\n", 400}, // no Host
            {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 413},
            {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
            {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
            {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
            {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
    };
    for (const auto& [text, status] : cases) {
        const parse_result r = parse(text);
        EXPECT_EQ(r.what, kind::error) << text;
        EXPECT_EQ(r.status, status) << text;
    }
}

TEST(HttpdRequestParser, HeadsOverTheLimitAre413EndedOrNot) {
    const std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'x') + "\r\n";
    EXPECT_EQ(parse(big, 100).status, 413);          // not ended yet, already too long
    EXPECT_EQ(parse(big + "\r\n", 100).status, 413); // ended, too long
    EXPECT_EQ(parse(big + "\r\n", 1000).what, kind::complete);
}

} // namespace
} // namespace coreloop::httpd
