// stream_reader (asyncio.StreamReader): bytes fed by a protocol, read by one task at a time
// with read, readline, readexactly and readuntil, under a buffer limit.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <coreloop/coro.hpp>
#include <coreloop/future.hpp>

namespace coreloop::net {

class read_transport;

/// asyncio's default limit (64 KiB) of a stream's buffer.
inline constexpr std::size_t default_stream_limit = 64 * 1024;

/// A buffer of received bytes that tasks read from (asyncio.StreamReader). One read may wait
/// at a time. The limit bounds what readuntil/readline look through, and flow control pauses
/// the transport while more than twice the limit is buffered.
/// Errors (every read): the exception given to set_exception(), once set, before anything else
/// (after readuntil's argument checks, as asyncio).
/// Cancellation (every read): a read cancelled while waiting consumes nothing.
/// Shard: create and use it on one loop; it must outlive the reads awaiting it.
class stream_reader {
public:
    /// Errors: std::invalid_argument if limit is 0.
    /// Shard: any thread; the reads then belong to the loop that runs them.
    explicit stream_reader(std::size_t limit = default_stream_limit);
    stream_reader(const stream_reader&) = delete;
    stream_reader& operator=(const stream_reader&) = delete;
    stream_reader(stream_reader&&) = delete;
    stream_reader& operator=(stream_reader&&) = delete;

    /// The limit given at construction.
    std::size_t limit() const noexcept { return limit_; }
    /// The transport to pause while over 2 * limit bytes are buffered (nullptr: none); reads
    /// resume it once at most `limit` bytes are left, or before they wait.
    /// Errors: none. Shard: the reader's loop.
    void set_transport(read_transport* t) noexcept { transport_ = t; }

    /// Appends bytes, wakes the waiting read (through the ready queue) and pauses the
    /// transport above 2 * limit. Empty data does nothing.
    /// Errors: std::logic_error after feed_eof() (asyncio asserts). Shard: the reader's loop.
    void feed_data(std::span<const std::byte> data);
    void feed_data(std::string_view data);
    /// The stream ends after what is buffered; wakes the waiting read.
    /// Errors: none. Shard: the reader's loop.
    void feed_eof() noexcept;
    /// EOF was fed and every byte has been read.
    bool at_eof() const noexcept { return eof_ && buffered() == 0; }
    /// Every later read throws `e`; the waiting read, if any, is woken with it.
    /// Errors: none. Shard: the reader's loop.
    void set_exception(std::exception_ptr e) noexcept;
    /// What set_exception() gave, or nullptr.
    std::exception_ptr exception() const noexcept { return exception_; }
    /// Bytes buffered and not yet read.
    std::size_t buffered() const noexcept { return buffer_.size() - start_; }

    /// n > 0: up to n bytes, once at least one is buffered ("" at EOF); n == 0: "" at once;
    /// n < 0: every byte up to EOF.
    /// Errors: the set exception; std::runtime_error if another read is waiting.
    /// Cancellation: nothing is consumed (read(-1) puts back what it had gathered).
    /// Shard: the reader's loop.
    coro<std::string> read(std::ptrdiff_t n = -1);
    /// One line with its "\n"; at EOF the rest without one ("" when nothing is left).
    /// Errors: std::invalid_argument (asyncio's ValueError, with limit_overrun_error's
    /// message) when no "\n" lies within the limit; the line is dropped up to and with its
    /// "\n" if that is buffered, else the whole buffer is. The set exception; a second waiter.
    /// Cancellation: nothing is consumed. Shard: the reader's loop.
    coro<std::string> readline();
    /// Exactly n bytes ("" for 0).
    /// Errors: incomplete_read_error(partial, n) at EOF, the partial bytes being consumed;
    /// the set exception; a second waiter.
    /// Cancellation: nothing is consumed. Shard: the reader's loop.
    coro<std::string> readexactly(std::size_t n);
    /// The bytes up to and with `separator` (copied: it need not outlive the call).
    /// Errors: std::invalid_argument for an empty separator; incomplete_read_error (partial:
    /// the whole buffer, consumed; expected: nullopt) at EOF; limit_overrun_error when the
    /// separator starts past the limit (consumed: where it starts) or the limit is passed
    /// without one (consumed: the bytes searched), the data staying buffered in both cases;
    /// the set exception; a second waiter.
    /// Cancellation: nothing is consumed. Shard: the reader's loop.
    coro<std::string> readuntil(std::string_view separator);
    /// readuntil("\n") (an overload, not a default argument: coroutine-pitfalls.md item 3).
    coro<std::string> readuntil() { return readuntil("\n"); }
    /// The same with several separators: the shortest result that ends with one of them
    /// (the shorter separator on a tie, which is also the one the limit applies to).
    /// Errors: as above; std::invalid_argument for an empty list or an empty separator.
    /// Cancellation: nothing is consumed. Shard: the reader's loop.
    coro<std::string> readuntil(std::span<const std::string_view> separators);

private:
    struct match {
        std::size_t start;
        std::size_t end;
    };
    enum class scan_mode : unsigned char { one, several, line };

    /// Awaiting it waits for feed_data/feed_eof/set_exception; when the wait ends (also by
    /// cancellation) the reader forgets its waiter. An awaitable, not a coroutine: a waiting
    /// read costs no second frame.
    class data_wait {
    public:
        data_wait(stream_reader& r, future<void> f) noexcept
            : reader_(&r)
            , waiter_(std::move(f)) {}
        data_wait(const data_wait&) = delete;
        data_wait& operator=(const data_wait&) = delete;
        ~data_wait();
        auto operator co_await() & noexcept { return waiter_.operator co_await(); }

    private:
        stream_reader* reader_;
        future<void> waiter_;
    };

    data_wait wait_for_data(const char* caller);
    void wake_waiter() noexcept;
    void maybe_resume_transport() noexcept;
    void check_exception() const;
    /// Removes and returns the first n buffered bytes (no flow control: callers decide).
    std::string consume(std::size_t n);
    /// Puts bytes back in front of the buffer (a cancelled read(-1)).
    void unconsume(std::string_view bytes);
    std::optional<match> find(std::span<const std::string> seps, std::size_t from) const;
    /// readuntil and readline in one coroutine: `one` is the separator unless mode is
    /// `several`, where `many` holds them.
    coro<std::string> scan_until(std::string one, std::vector<std::string> many, scan_mode mode);
    [[noreturn]] void
    overrun(const char* message, std::size_t consumed, std::string_view sep, scan_mode mode);

    std::string buffer_;
    std::size_t start_ = 0; // bytes of buffer_ already read
    std::size_t limit_;
    read_transport* transport_ = nullptr;
    future<void> waiter_; // valid while a read waits
    std::exception_ptr exception_;
    bool eof_ = false;
    bool paused_ = false;
};

} // namespace coreloop::net
