// stream_reader fed by hand (feed_data / feed_eof / set_exception), following CPython's
// test_streams: read, readline, readexactly, readuntil with one and several separators, the
// limit, EOF, errors, one waiter at a time, cancellation, flow control and the buffer's reuse.
#include <coreloop/net/stream_reader.hpp>

#include <algorithm>
#include <any>
#include <cstddef>
#include <span>
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
using seps = std::vector<std::string_view>;

class StreamReader : public test::loop_test {};

/// Lets the other tasks run once (a created task reaches its first wait).
coro<void> spin() {
    co_await sleep(0s);
}

/// Feeds `data` on the next iteration (so a read is waiting by then).
coro<void> feed_later(stream_reader& r, std::string data) {
    co_await sleep(0s);
    r.feed_data(data);
}

/// Ends the stream after `delay`.
coro<void> eof_later(stream_reader& r, std::chrono::milliseconds delay) {
    co_await sleep(delay);
    r.feed_eof();
}

/// Awaits t; true if it ended with cancelled_error.
template <class T>
coro<bool> ends_cancelled(task<T> t) {
    try {
        co_await t;
    } catch (const cancelled_error&) {
        co_return true;
    }
    co_return false;
}

/// A read_transport that only counts pause_reading / resume_reading.
class pausable final : public net::read_transport {
public:
    void close() noexcept override {}
    bool is_closing() const noexcept override { return false; }
    std::any get_extra_info(std::string_view) const override { return {}; }
    net::base_protocol* get_protocol() const noexcept override { return nullptr; }
    bool is_reading() const noexcept override { return !paused; }
    void pause_reading() noexcept override {
        paused = true;
        ++pauses;
    }
    void resume_reading() noexcept override {
        paused = false;
        ++resumes;
    }
    bool paused = false;
    int pauses = 0;
    int resumes = 0;
};

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

TEST_P(StreamReader, ZeroSizedReadsNeverWait) {
    run([]() -> coro<void> {
        stream_reader r;
        // Nothing is fed: waiting here would miss the test's deadline.
        EXPECT_EQ(co_await r.read(0), "");
        EXPECT_EQ(co_await r.readexactly(0), "");
        EXPECT_EQ(r.buffered(), 0U);
        EXPECT_FALSE(r.at_eof());
    }());
}

TEST_P(StreamReader, FeedTakesBytesAndIgnoresEmptyData) {
    run([]() -> coro<void> {
        stream_reader r;
        task<std::string> reading = create_task(r.read(10));
        co_await spin();
        r.feed_data(std::string_view());
        co_await spin();
        EXPECT_FALSE(reading.done()); // empty data wakes nobody
        const std::byte bytes[] = {std::byte{'h'}, std::byte{0}, std::byte{'i'}};
        r.feed_data(std::span<const std::byte>(bytes));
        EXPECT_EQ(co_await reading, std::string("h\0i", 3));
    }());
}

TEST_P(StreamReader, ReadAllReadsToEof) {
    run([]() -> coro<void> {
        stream_reader r(4);
        r.feed_data("chunk1 ");
        task<void> feeder = create_task(feed_later(r, "chunk2"));
        task<void> end = create_task(eof_later(r, 5ms));
        EXPECT_EQ(co_await r.read(), "chunk1 chunk2");
        EXPECT_TRUE(r.at_eof());
        EXPECT_EQ(co_await r.read(), ""); // and again: nothing left
        co_await feeder;
        co_await end;
    }());
}

TEST_P(StreamReader, ReadAllFailsWithTheSetException) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("some");
        task<std::string> all = create_task(r.read());
        co_await spin();
        EXPECT_FALSE(all.done());
        r.set_exception(std::make_exception_ptr(connection_reset_error(ECONNRESET, "reset")));
        EXPECT_THROW(co_await all, connection_reset_error);
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
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, ReadlineTakesALineOfExactlyTheLimit) {
    run([]() -> coro<void> {
        stream_reader r(7);
        // The limit counts the line without its separator.
        r.feed_data("1234567\n12345678\nok\n");
        EXPECT_EQ(co_await r.readline(), "1234567\n");
        EXPECT_THROW(co_await r.readline(), std::invalid_argument);
        EXPECT_EQ(co_await r.readline(), "ok\n");
    }());
}

TEST_P(StreamReader, ReadlineOverTheLimitDropsTheLineAndThrows) {
    run([]() -> coro<void> {
        stream_reader r(3);
        r.feed_data("li");
        r.feed_data("ne1\nline2\n");
        // The separator is buffered: the long line goes, through its separator.
        try {
            co_await r.readline();
            ADD_FAILURE() << "no std::invalid_argument";
        } catch (const std::invalid_argument& e) {
            EXPECT_STREQ(e.what(), "Separator is found, but chunk is longer than limit");
        }
        EXPECT_EQ(co_await r.read(100), "line2\n");
        // No separator within reach: everything buffered goes.
        r.feed_data("abcdefgh");
        try {
            co_await r.readline();
            ADD_FAILURE() << "no std::invalid_argument";
        } catch (const std::invalid_argument& e) {
            EXPECT_STREQ(e.what(), "Separator is not found, and chunk exceed the limit");
        }
        EXPECT_EQ(r.buffered(), 0U);
    }());
}

TEST_P(StreamReader, ReadlineOverTheLimitWhileWaiting) {
    run([]() -> coro<void> {
        stream_reader r(4);
        r.feed_data("ab");
        task<std::string> line = create_task(r.readline());
        co_await spin();
        EXPECT_FALSE(line.done());
        r.feed_data("cdefg");
        EXPECT_THROW(co_await line, std::invalid_argument);
        EXPECT_EQ(r.buffered(), 0U);
        r.feed_data("xy\n");
        EXPECT_EQ(co_await r.readline(), "xy\n");
    }());
}

TEST_P(StreamReader, ReadexactlyWaitsForAllOrThrowsWithThePartial) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("12345");
        task<void> feeder = create_task(feed_later(r, "67890"));
        EXPECT_EQ(co_await r.readexactly(8), "12345678");
        co_await feeder;
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
        try {
            co_await r.readexactly(3);
            ADD_FAILURE() << "no incomplete_read_error";
        } catch (const incomplete_read_error& e) {
            EXPECT_EQ(e.partial, "");
            EXPECT_STREQ(e.what(), "0 bytes read on a total of 3 expected bytes");
        }
    }());
}

TEST_P(StreamReader, ReadexactlyEndsMidWayAtEof) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc");
        task<std::string> exact = create_task(r.readexactly(10));
        co_await spin();
        r.feed_data("de");
        co_await spin();
        EXPECT_FALSE(exact.done()); // woken, 5 of 10, waiting again
        r.feed_eof();
        try {
            co_await exact;
            ADD_FAILURE() << "no incomplete_read_error";
        } catch (const incomplete_read_error& e) {
            EXPECT_EQ(e.partial, "abcde");
            EXPECT_EQ(e.expected, 10U);
        }
        EXPECT_EQ(r.buffered(), 0U);
    }());
}

TEST_P(StreamReader, ReaduntilFindsASeparatorSplitAcrossFeeds) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc=");
        task<void> feeder = create_task(feed_later(r, "=def==rest="));
        EXPECT_EQ(co_await r.readuntil("=="), "abc==");
        co_await feeder;
        EXPECT_EQ(co_await r.readuntil("=="), "def==");
        r.feed_eof();
        try {
            co_await r.readuntil("==");
            ADD_FAILURE() << "no incomplete_read_error";
        } catch (const incomplete_read_error& e) {
            EXPECT_EQ(e.partial, "rest="); // with half a separator
            EXPECT_FALSE(e.expected.has_value());
            EXPECT_STREQ(e.what(), "5 bytes read on a total of undefined expected bytes");
        }
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, ReaduntilFindsTheSeparatorOfTheLastFeedBeforeEof) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc");
        task<std::string> until = create_task(r.readuntil());
        co_await spin();
        r.feed_data("\nrest");
        r.feed_eof(); // before the read resumes
        EXPECT_EQ(co_await until, "abc\n");
        EXPECT_EQ(co_await r.read(), "rest");
    }());
}

TEST_P(StreamReader, ReaduntilWithSeveralSeparatorsTakesTheMatchThatEndsFirst) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("aaa\r\nbbb\nccc");
        const seps crlf{"\r\n", "\n"};
        // "\r\n" and "\n" both end at 5: the same bytes either way.
        EXPECT_EQ(co_await r.readuntil(crlf), "aaa\r\n");
        EXPECT_EQ(co_await r.readuntil(crlf), "bbb\n");
        r.feed_data("xyz|end||");
        const seps overlapping{"||", "d|"};
        EXPECT_EQ(co_await r.readuntil(overlapping), "cccxyz|end|");
        EXPECT_EQ(co_await r.read(10), "|");
        // A longer separator that ends first beats a shorter one that starts first.
        r.feed_data("abcx");
        const seps longer_first{"cx", "abc"};
        EXPECT_EQ(co_await r.readuntil(longer_first), "abc");
        EXPECT_EQ(co_await r.read(10), "x");
    }());
}

TEST_P(StreamReader, ReaduntilWithSeveralSeparatorsAcrossFeeds) {
    run([]() -> coro<void> {
        stream_reader r;
        const seps ends{"END", "\r\n"};
        r.feed_data("data\r");
        task<void> feeder = create_task(feed_later(r, "\nmoreEN"));
        EXPECT_EQ(co_await r.readuntil(ends), "data\r\n");
        co_await feeder;
        task<std::string> until = create_task(r.readuntil(ends));
        co_await spin();
        EXPECT_FALSE(until.done()); // "EN" may still become "END"
        r.feed_data("D!");
        EXPECT_EQ(co_await until, "moreEND");
        EXPECT_EQ(r.buffered(), 1U);
    }());
}

TEST_P(StreamReader, ReaduntilRejectsEmptySeparatorsBeforeTheException) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("data\n");
        r.set_exception(std::make_exception_ptr(std::runtime_error("broken")));
        // asyncio checks the argument first.
        EXPECT_THROW(co_await r.readuntil(""), std::invalid_argument);
        const seps none;
        const seps with_empty{"\n", ""};
        const seps newline{"\n"};
        EXPECT_THROW(co_await r.readuntil(none), std::invalid_argument);
        EXPECT_THROW(co_await r.readuntil(with_empty), std::invalid_argument);
        try {
            co_await r.readuntil(newline);
            ADD_FAILURE() << "no exception";
        } catch (const std::invalid_argument&) {
            ADD_FAILURE() << "a valid separator was rejected";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "broken");
        }
        EXPECT_EQ(r.buffered(), 5U);
    }());
}

TEST_P(StreamReader, ReaduntilPastTheLimitKeepsTheData) {
    run([]() -> coro<void> {
        stream_reader r(5);
        r.feed_data("01234\n0123456789\n");
        EXPECT_EQ(co_await r.readuntil("\n"), "01234\n"); // exactly the limit
        try {
            co_await r.readuntil("\n");
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            EXPECT_EQ(e.consumed, 10U); // separator found, but too far
            EXPECT_STREQ(e.what(), "Separator is found, but chunk is longer than limit");
        }
        EXPECT_EQ(co_await r.read(100), "0123456789\n");
        r.feed_data("0123456789");
        try {
            co_await r.readuntil("==");
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            // No separator: the last byte may start "==", so 9 bytes count as searched.
            EXPECT_EQ(e.consumed, 9U);
            EXPECT_STREQ(e.what(), "Separator is not found, and chunk exceed the limit");
        }
        EXPECT_EQ(r.buffered(), 10U);
        EXPECT_EQ(co_await r.read(100), "0123456789");
    }());
}

TEST_P(StreamReader, ReaduntilOverrunsTheLimitWhileWaiting) {
    run([]() -> coro<void> {
        stream_reader r(5);
        r.feed_data("abc");
        task<std::string> until = create_task(r.readuntil("\n"));
        co_await spin();
        EXPECT_FALSE(until.done());
        r.feed_data("defgh");
        try {
            co_await until;
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            EXPECT_EQ(e.consumed, 8U);
        }
        EXPECT_EQ(r.buffered(), 8U);
    }());
}

TEST_P(StreamReader, TheLimitAppliesToTheShorterOfTiedSeparators) {
    run([]() -> coro<void> {
        stream_reader r(4);
        r.feed_data("aaaa\r\n");
        // "\n" ties with "\r\n" and wins; it starts at 5, past the limit.
        const seps crlf{"\r\n", "\n"};
        try {
            co_await r.readuntil(crlf);
            ADD_FAILURE() << "no limit_overrun_error";
        } catch (const limit_overrun_error& e) {
            EXPECT_EQ(e.consumed, 5U);
        }
        // Alone, "\r\n" starts at 4, within it.
        EXPECT_EQ(co_await r.readuntil("\r\n"), "aaaa\r\n");
    }());
}

TEST_P(StreamReader, AtEofOnlyOnceEofIsFedAndEverythingRead) {
    run([]() -> coro<void> {
        stream_reader r;
        EXPECT_FALSE(r.at_eof());
        r.feed_data("ab");
        r.feed_eof();
        EXPECT_FALSE(r.at_eof()); // bytes left
        EXPECT_EQ(co_await r.read(1), "a");
        EXPECT_FALSE(r.at_eof());
        EXPECT_EQ(co_await r.readline(), "b");
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, SetExceptionFailsTheWaiterAndEveryLaterRead) {
    run([]() -> coro<void> {
        stream_reader r;
        task<std::string> waiting = create_task(r.read(5));
        co_await spin();
        auto reset = std::make_exception_ptr(connection_reset_error(ECONNRESET, "reset"));
        r.set_exception(reset);
        EXPECT_EQ(r.exception(), reset);
        EXPECT_THROW(co_await waiting, connection_reset_error);
        // Checked before the buffer: buffered bytes are not read any more.
        r.feed_data("data\n");
        EXPECT_THROW(co_await r.read(1), connection_reset_error);
        EXPECT_THROW(co_await r.read(), connection_reset_error);
        EXPECT_THROW(co_await r.readline(), connection_reset_error);
        EXPECT_THROW(co_await r.readexactly(1), connection_reset_error);
        EXPECT_THROW(co_await r.readuntil("\n"), connection_reset_error);
        EXPECT_EQ(r.buffered(), 5U);
    }());
}

TEST_P(StreamReader, OnlyOneReadMayWait) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc");
        task<std::string> first = create_task(r.readexactly(5));
        co_await spin();
        try {
            co_await r.readline();
            ADD_FAILURE() << "no second-waiter error";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "readuntil() called while another coroutine is already "
                                   "waiting for incoming data");
        }
        EXPECT_EQ(r.buffered(), 3U);
        // A read that need not wait goes ahead, as in asyncio.
        EXPECT_EQ(co_await r.read(2), "ab");
        r.feed_data("defgh");
        EXPECT_EQ(co_await first, "cdefg");
        EXPECT_EQ(co_await r.read(10), "h");
        task<std::string> next = create_task(r.read(10)); // the waiter is free again
        co_await spin();
        r.feed_data("i");
        EXPECT_EQ(co_await next, "i");
    }());
}

TEST_P(StreamReader, CancelledReadsConsumeNothing) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("partial line");
        const seps bangs{"!", "??"};
        for (int kind = 0; kind < 4; ++kind) {
            task<std::string> t = kind == 0   ? create_task(r.readline())
                                  : kind == 1 ? create_task(r.readexactly(100))
                                  : kind == 2 ? create_task(r.readuntil("!"))
                                              : create_task(r.readuntil(bangs));
            co_await spin(); // waiting now
            EXPECT_FALSE(t.done()) << kind;
            t.cancel();
            EXPECT_TRUE(co_await ends_cancelled(t)) << kind;
            EXPECT_EQ(r.buffered(), 12U) << kind;
        }
        EXPECT_EQ(co_await r.read(7), "partial");
        EXPECT_EQ(co_await r.read(100), " line");
        task<std::string> some = create_task(r.read(100));
        co_await spin();
        some.cancel();
        EXPECT_TRUE(co_await ends_cancelled(some));
        r.feed_data("!\n");
        EXPECT_EQ(co_await r.readline(), "!\n");
    }());
}

TEST_P(StreamReader, CancelledReadAllPutsBackWhatItGathered) {
    run([]() -> coro<void> {
        stream_reader r;
        r.feed_data("abc");
        task<std::string> all = create_task(r.read());
        co_await spin();
        r.feed_data("def");
        co_await spin(); // took "abcdef", waits again
        EXPECT_FALSE(all.done());
        EXPECT_EQ(r.buffered(), 0U);
        all.cancel();
        EXPECT_TRUE(co_await ends_cancelled(all));
        EXPECT_EQ(r.buffered(), 6U);
        r.feed_data("g");
        r.feed_eof();
        EXPECT_EQ(co_await r.read(), "abcdefg");
    }());
}

TEST_P(StreamReader, ReadCancelledAfterItsWakeupConsumesNothing) {
    run([]() -> coro<void> {
        stream_reader r;
        task<std::string> line = create_task(r.readline());
        co_await spin();
        r.feed_data("line\n"); // wakes the read through the ready queue...
        line.cancel();         // ...but it is cancelled before it runs
        EXPECT_TRUE(co_await ends_cancelled(line));
        EXPECT_EQ(r.buffered(), 5U);
        EXPECT_EQ(co_await r.readline(), "line\n");
    }());
}

TEST_P(StreamReader, PausesTheTransportAboveTwiceTheLimit) {
    run([]() -> coro<void> {
        stream_reader r(4);
        pausable t;
        r.set_transport(&t);
        r.feed_data("12345678");
        EXPECT_FALSE(t.paused); // 8 is not over 2 * 4
        r.feed_data("9");
        EXPECT_TRUE(t.paused);
        r.feed_data("0");
        EXPECT_EQ(t.pauses, 1); // once
        EXPECT_EQ(co_await r.read(5), "12345");
        EXPECT_TRUE(t.paused); // 5 left, over the limit
        EXPECT_EQ(co_await r.readexactly(1), "6");
        EXPECT_FALSE(t.paused); // back to the limit
        EXPECT_EQ(t.resumes, 1);
        r.set_transport(nullptr);
    }());
}

TEST_P(StreamReader, AWaitingReadResumesThePausedTransport) {
    run([]() -> coro<void> {
        stream_reader r(2);
        pausable t;
        r.set_transport(&t);
        r.feed_data("12345");
        EXPECT_TRUE(t.paused);
        // More than twice the limit: waiting while paused would never end.
        task<std::string> exact = create_task(r.readexactly(8));
        co_await spin();
        EXPECT_FALSE(t.paused);
        EXPECT_EQ(t.resumes, 1);
        r.feed_data("678");
        EXPECT_TRUE(t.paused); // 8 buffered again
        EXPECT_EQ(co_await exact, "12345678");
        EXPECT_FALSE(t.paused);
        EXPECT_EQ(t.pauses, 2);
        EXPECT_EQ(t.resumes, 2);
        r.set_transport(nullptr);
    }());
}

TEST_P(StreamReader, ReadlineResumesTheTransportWhenItDropsALine) {
    run([]() -> coro<void> {
        stream_reader r(2);
        pausable t;
        r.set_transport(&t);
        r.feed_data("abcdef\nxy");
        EXPECT_TRUE(t.paused);
        EXPECT_THROW(co_await r.readline(), std::invalid_argument);
        EXPECT_FALSE(t.paused); // "xy" left
        EXPECT_EQ(r.buffered(), 2U);
        // readuntil's own overrun leaves the data, and the transport, as they are.
        r.feed_data("zzzz");
        EXPECT_TRUE(t.paused);
        EXPECT_THROW(co_await r.readuntil("\n"), limit_overrun_error);
        EXPECT_TRUE(t.paused);
        r.set_transport(nullptr);
    }());
}

TEST_P(StreamReader, TheBufferKeepsTheBytesInOrderAcrossReuse) {
    run([]() -> coro<void> {
        // Chunk sizes around the buffer's kept capacity exercise compaction, growth and the
        // hand-over of a whole buffer.
        const std::string data = test::payload(300 * 1024);
        stream_reader r(1024 * 1024);
        std::string got;
        std::size_t fed = 0;
        std::size_t step = 0;
        while (got.size() < data.size()) {
            if (fed < data.size()) {
                const std::size_t feed = std::min((step * 7919) % 40000 + 1, data.size() - fed);
                r.feed_data(std::string_view(data).substr(fed, feed));
                fed += feed;
                if (fed == data.size()) {
                    r.feed_eof();
                }
            }
            const std::size_t want = (step * 104729) % 30000 + 1;
            // (No co_await inside ?:, GCC 12 mishandles the temporaries there.)
            std::string part;
            if (step % 3 == 0) {
                part = co_await r.read(static_cast<std::ptrdiff_t>(want));
            } else {
                part = co_await r.readexactly(std::min(want, r.buffered()));
            }
            got += part;
            ++step;
        }
        EXPECT_EQ(got.size(), data.size());
        EXPECT_TRUE(got == data);
        EXPECT_TRUE(r.at_eof());
    }());
}

TEST_P(StreamReader, ZeroLimitIsRejectedAndFeedAfterEofIsAnError) {
    EXPECT_THROW(stream_reader(0), std::invalid_argument);
    stream_reader r(10);
    EXPECT_EQ(r.limit(), 10U);
    EXPECT_EQ(stream_reader().limit(), net::default_stream_limit);
    r.feed_eof();
    EXPECT_THROW(r.feed_data("late"), std::logic_error);
    EXPECT_TRUE(r.at_eof());
}

CORELOOP_ALL_BACKENDS(StreamReader);

} // namespace
} // namespace coreloop
