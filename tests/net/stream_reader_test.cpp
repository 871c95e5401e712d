// stream_reader fed by hand (feed_data / feed_eof / set_exception), following CPython's
// test_streams: read, readline, readexactly, readuntil with one and several separators, the
// limit, EOF, errors, one waiter at a time, cancellation, and flow control.
#include <coreloop/net/stream_reader.hpp>

#include <any>
#include <string>
#include <string_view>
#include <vector>

#include <coreloop/exceptions.hpp>
#include <coreloop/net/transport.hpp>
#include <coreloop/sleep.hpp>
#include <coreloop/task.hpp>

#include "net/net_test.hpp"
#include "support/loop_test.hpp"

using namespace std::chrono_literals;

namespace coreloop {
namespace {

using net::stream_reader;

class StreamReader : public test::loop_test {};

/// Feeds `data` on the next iteration (so a read is waiting by then).
coro<void> feed_later(stream_reader& r, std::string data) {
    co_await sleep(0s);
    r.feed_data(data);
}

TEST_P(StreamReader, ReadGivesWhatIsThereUpToN) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("line1\nline2\n");
        EXPECT_EQ(co_await r.read(0), "");
        EXPECT_EQ(co_await r.read(3), "lin");
        EXPECT_EQ(co_await r.read(100), "e1\nline2\n");
        task<void> feeder = create_task(feed_later(r, "later"));
        EXPECT_EQ(co_await r.read(10), "later"); // waited for data
        co_await feeder;
        r.feed_eof();
        EXPECT_EQ(co_await r.read(10), "");
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, ReadAllReadsToEof) {
    run([]() -> coro<void> {
        stream_reader r(4);
        r.feed_data("chunk1 ");
        task<void> feeder = create_task(feed_later(r, "chunk2"));
        auto ender = [&r]() -> coro<void> {
            co_await sleep(5ms);
            r.feed_eof();
        };
        task<void> end = create_task(ender());
        EXPECT_EQ(co_await r.read(), "chunk1 chunk2");
        co_await feeder;
        co_await end;
    }());
}

TEST_P(StreamReader, ReadlineSplitsAndGivesTheRestAtEof) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("one\ntw");
        EXPECT_EQ(co_await r.readline(), "one\n");
        task<void> feeder = create_task(feed_later(r, "o\nthree"));
        EXPECT_EQ(co_await r.readline(), "two\n");
        co_await feeder;
        r.feed_eof();
        EXPECT_EQ(co_await r.readline(), "three");
        EXPECT_EQ(co_await r.readline(), "");
    }());
}

TEST_P(StreamReader, ReadlineOverTheLimitDropsTheLineAndThrows) {
    run([]() -> coro<void> {
        stream_reader r(3);
        r.feed_data("li");
        r.feed_data("ne1\nline2\n");
        // The separator is buffered: the long line goes, through its separator.
        EXPECT_THROW(co_await r.readline(), std::invalid_argument);
        EXPECT_EQ(co_await r.read(100), "line2\n");
        // No separator within reach: everything buffered goes.
        r.feed_data("abcdefgh");
        EXPECT_THROW(co_await r.readline(), std::invalid_argument);
        EXPECT_EQ(r.buffered(), 0U);
    }());
}

TEST_P(StreamReader, ReadexactlyWaitsForAllOrThrowsWithThePartial) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("12345");
        task<void> feeder = create_task(feed_later(r, "67890"));
        EXPECT_EQ(co_await r.readexactly(8), "12345678");
        co_await feeder;
        EXPECT_EQ(co_await r.readexactly(0), "");
        r.feed_eof();
        try {
            co_await r.readexactly(5);
            ADD_FAILURE() << "no incomplete_read_error";
        } catch (const incomplete_read_error& e) {
            EXPECT_EQ(e.partial, "90");
            EXPECT_EQ(e.expected, 5U);
            EXPECT_STREQ(e.what(), "2 bytes read on a total of 5 expected bytes");
        }
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, ReaduntilFindsASeparatorSplitAcrossFeeds) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc=");
        task<void> feeder = create_task(feed_later(r, "=def==rest"));
        EXPECT_EQ(co_await r.readuntil("=="), "abc==");
        co_await feeder;
        EXPECT_EQ(co_await r.readuntil("=="), "def==");
        r.feed_eof();
        try {
            co_await r.readuntil("==");
            ADD_FAILURE() << "no incomplete_read_error";
        } catch (const incomplete_read_error& e) {
            EXPECT_EQ(e.partial, "rest");
            EXPECT_FALSE(e.expected.has_value());
        }
        EXPECT_THROW(co_await r.readuntil(""), std::invalid_argument);
    }());
}

TEST_P(StreamReader, ReaduntilWithSeveralSeparatorsTakesTheMatchThatEndsFirst) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("aaa\r\nbbb\nccc");
        const std::vector<std::string_view> seps{"\r\n", "\n"};
        // "\r\n" ends at 5, "\n" also at 5: the shorter wins the tie, with the same bytes.
        EXPECT_EQ(co_await r.readuntil(seps), "aaa\r\n");
        EXPECT_EQ(co_await r.readuntil(seps), "bbb\n");
        r.feed_data("xyz|end||");
        const std::vector<std::string_view> overlapping{"||", "d|"};
        EXPECT_EQ(co_await r.readuntil(overlapping), "cccxyz|end|");
        EXPECT_EQ(co_await r.read(10), "|");
        const std::vector<std::string_view> none;
        EXPECT_THROW(co_await r.readuntil(none), std::invalid_argument);
    }());
}

TEST_P(StreamReader, ReaduntilPastTheLimitKeepsTheData) {
    run([]() -> coro<void> {
        stream_reader r(5);
        r.feed_data("0123456789\n");
        try {
            co_await r.readuntil("\n");
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            EXPECT_EQ(e.consumed, 10U); // separator found, but too far
        }
        EXPECT_EQ(r.buffered(), 11U);
        EXPECT_EQ(co_await r.read(100), "0123456789\n");
        r.feed_data("0123456789");
        try {
            co_await r.readuntil("\n");
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            EXPECT_EQ(e.consumed, 10U); // no separator in more than the limit
        }
        EXPECT_EQ(r.buffered(), 10U);
    }());
}

TEST_P(StreamReader, SetExceptionFailsTheWaiterAndEveryLaterRead) {
    run([]() -> coro<void> {
        stream_reader r;
        auto failer = [&r]() -> coro<void> {
            co_await sleep(0s);
            r.set_exception(std::make_exception_ptr(connection_reset_error(ECONNRESET, "reset")));
        };
        task<void> fail = create_task(failer());
        EXPECT_THROW(co_await r.readline(), connection_reset_error);
        co_await fail;
        EXPECT_THROW(co_await r.read(1), connection_reset_error);
        EXPECT_THROW(co_await r.readexactly(1), connection_reset_error);
        EXPECT_TRUE(r.exception());
    }());
}

TEST_P(StreamReader, OnlyOneReadMayWait) {
    run([]() -> coro<void> {
        stream_reader r;
        task<std::string> first = create_task(r.read(5));
        co_await sleep(0s);
        EXPECT_THROW(co_await r.read(5), std::runtime_error);
        r.feed_data("data");
        EXPECT_EQ(co_await first, "data");
    }());
}

TEST_P(StreamReader, CancelledReadsConsumeNothing) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("partial line");
        task<std::string> line = create_task(r.readline());
        co_await sleep(0s);
        line.cancel();
        EXPECT_THROW(co_await line, cancelled_error);
        task<std::string> exact = create_task(r.readexactly(100));
        co_await sleep(0s);
        exact.cancel();
        EXPECT_THROW(co_await exact, cancelled_error);
        task<std::string> until = create_task(r.readuntil("!"));
        co_await sleep(0s);
        until.cancel();
        EXPECT_THROW(co_await until, cancelled_error);
        r.feed_data("!\n");
        EXPECT_EQ(co_await r.readline(), "partial line!\n");
    }());
}

/// A read_transport that only records pause_reading / resume_reading.
class pausable final : public net::read_transport {
public:
    void close() noexcept override {}
    bool is_closing() const noexcept override { return false; }
    std::any get_extra_info(std::string_view) const override { return {}; }
    net::base_protocol* get_protocol() const noexcept override { return nullptr; }
    bool is_reading() const noexcept override { return !paused; }
    void pause_reading() noexcept override { paused = true; }
    void resume_reading() noexcept override { paused = false; }
    bool paused = false;
};

TEST_P(StreamReader, PausesTheTransportAboveTwiceTheLimit) {
    run([]() -> coro<void> {
        stream_reader r(4);
        pausable t;
        r.set_transport(&t);
        r.feed_data("12345678");
        EXPECT_FALSE(t.paused); // 8 is not over 2 * 4
        r.feed_data("9");
        EXPECT_TRUE(t.paused);
        EXPECT_EQ(co_await r.read(4), "1234");
        EXPECT_TRUE(t.paused); // 5 left, over the limit
        EXPECT_EQ(co_await r.read(1), "5");
        EXPECT_FALSE(t.paused); // back to the limit
        r.set_transport(nullptr);
    }());
}

TEST_P(StreamReader, ZeroLimitIsRejectedAndFeedAfterEofIsAnError) {
    EXPECT_THROW(stream_reader(0), std::invalid_argument);
    stream_reader r;
    r.feed_eof();
    EXPECT_THROW(r.feed_data("late"), std::logic_error);
    EXPECT_TRUE(r.at_eof());
}

CORELOOP_ALL_BACKENDS(StreamReader);

} // namespace
} // namespace coreloop
