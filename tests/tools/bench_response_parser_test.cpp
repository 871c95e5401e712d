// response_parser: where echo messages and HTTP/1.1 responses end, however the bytes are cut.
#include "bench/response_parser.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace coreloop::bench {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

/// Feeds `text` in pieces of `piece` bytes; returns the sum of the outcomes.
response_parser::outcome
feed_in_pieces(response_parser& p, std::string_view text, std::size_t piece) {
    response_parser::outcome sum;
    for (std::size_t i = 0; i < text.size(); i += piece) {
        const auto out = p.feed(bytes(text.substr(i, piece)));
        sum.complete += out.complete;
        sum.bad_status += out.bad_status;
        sum.malformed = sum.malformed || out.malformed;
    }
    return sum;
}

TEST(BenchResponseParser, EchoCountsWholeMessagesAcrossFeeds) {
    response_parser p = response_parser::echo(4);
    EXPECT_EQ(p.feed(bytes("abc")).complete, 0U);
    EXPECT_TRUE(p.mid_response());
    EXPECT_EQ(p.feed(bytes("dabcdab")).complete, 2U);
    EXPECT_EQ(p.feed(bytes("cd")).complete, 1U);
    EXPECT_FALSE(p.mid_response());
}

constexpr std::string_view plaintext = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n"
                                       "Content-Type: text/plain\r\n\r\nHello, World!";
constexpr std::string_view chunked =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nHello\r\n8\r\n, World!\r\n0\r\nX-Trailer: 1\r\n\r\n";

TEST(BenchResponseParser, ContentLengthAndChunkedBodiesInAnyCut) {
    const std::string stream =
            std::string(plaintext) + std::string(chunked) + std::string(plaintext);
    for (std::size_t piece : {1U, 2U, 7U, 64U, 4096U}) {
        response_parser p = response_parser::http();
        const auto out = feed_in_pieces(p, stream, piece);
        EXPECT_EQ(out.complete, 3U) << "pieces of " << piece;
        EXPECT_FALSE(out.malformed);
        EXPECT_FALSE(p.mid_response());
    }
}

TEST(BenchResponseParser, InterimAndBodilessResponses) {
    response_parser p = response_parser::http();
    const auto out = p.feed(bytes("HTTP/1.1 100 Continue\r\n\r\n"
                                  "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
                                  "HTTP/1.1 304 Not Modified\r\n\r\n"
                                  "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    EXPECT_EQ(out.complete, 3U);
    EXPECT_FALSE(out.malformed);
}

TEST(BenchResponseParser, ABodyWithoutLengthEndsAtTheClose) {
    response_parser p = response_parser::http();
    EXPECT_EQ(p.feed(bytes("HTTP/1.0 200 OK\r\n\r\nsome body")).complete, 0U);
    EXPECT_TRUE(p.mid_response());
    EXPECT_EQ(p.at_eof().complete, 1U);
    EXPECT_TRUE(p.close_requested());
}

TEST(BenchResponseParser, StatusesAndConnectionClose) {
    response_parser p = response_parser::http();
    const auto out = p.feed(bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                                  "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"
                                  "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n"));
    EXPECT_EQ(out.complete, 3U);
    EXPECT_EQ(out.bad_status, 2U);
    EXPECT_TRUE(p.close_requested());
}

TEST(BenchResponseParser, GarbageIsMalformed) {
    for (std::string_view bad : {"HTTP/1.1 2OO OK\r\n\r\n", "SSH-2.0-OpenSSH\r\n\r\n",
                                 "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                                 "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
                                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
        response_parser p = response_parser::http();
        EXPECT_TRUE(p.feed(bytes(bad)).malformed) << bad;
    }
}

TEST(BenchResponseParser, AnEndlessHeadIsMalformedPastTheLimit) {
    response_parser p = response_parser::http(100);
    EXPECT_FALSE(p.feed(bytes("HTTP/1.1 200 OK\r\n")).malformed);
    EXPECT_TRUE(p.feed(bytes(std::string(200, 'x'))).malformed);
}

} // namespace
} // namespace coreloop::bench
