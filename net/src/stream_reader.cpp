// stream_reader: asyncio's StreamReader over one contiguous buffer with a read offset.
#include <coreloop/net/stream_reader.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/transport.hpp>

namespace coreloop::net {
namespace {

// A buffer emptied by reads keeps its memory up to this size; a bigger one is freed, so an
// idle connection does not hold the memory of its largest burst.
constexpr std::size_t keep_capacity = 16 * 1024;

} // namespace

stream_reader::stream_reader(std::size_t limit)
    : limit_(limit) {
    if (limit == 0) {
        throw std::invalid_argument("Limit cannot be <= 0");
    }
}

void stream_reader::feed_data(std::span<const std::byte> data) {
    feed_data(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

void stream_reader::feed_data(std::string_view data) {
    if (eof_) {
        throw std::logic_error("feed_data after feed_eof");
    }
    if (data.empty()) {
        return;
    }
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
        // Drop what was read before growing: the copy is at most what is still unread.
        buffer_.erase(0, start_);
        start_ = 0;
    }
    buffer_.append(data);
    wake_waiter();
    if (transport_ != nullptr && !paused_ && buffered() > 2 * limit_) {
        paused_ = true;
        transport_->pause_reading();
    }
}

void stream_reader::feed_eof() noexcept {
    eof_ = true;
    wake_waiter();
}

void stream_reader::set_exception(std::exception_ptr e) noexcept {
    exception_ = e;
    if (waiter_) {
        future<void> w = std::move(*waiter_);
        waiter_.reset();
        if (!w.done()) {
            w.set_exception(e);
        }
    }
}

void stream_reader::wake_waiter() noexcept {
    if (waiter_) {
        future<void> w = std::move(*waiter_);
        waiter_.reset();
        if (!w.done()) {
            w.set_result();
        }
    }
}

void stream_reader::maybe_resume_transport() noexcept {
    if (paused_ && buffered() <= limit_) {
        paused_ = false;
        if (transport_ != nullptr) {
            transport_->resume_reading();
        }
    }
}

void stream_reader::check_exception() const {
    if (exception_) {
        std::rethrow_exception(exception_);
    }
}

stream_reader::data_wait stream_reader::wait_for_data(const char* caller) {
    if (waiter_) {
        throw std::runtime_error(std::string(caller) +
                                 "() called while another coroutine is already waiting for "
                                 "incoming data");
    }
    // Waiting while the transport is paused would wait forever.
    if (paused_) {
        paused_ = false;
        if (transport_ != nullptr) {
            transport_->resume_reading();
        }
    }
    future<void> w = get_running_loop().create_future<void>();
    waiter_ = w;
    return data_wait(*this, std::move(w));
}

std::string stream_reader::take(std::size_t n) {
    std::string out = buffer_.substr(start_, n);
    start_ += n;
    if (start_ == buffer_.size()) {
        start_ = 0;
        buffer_.clear();
        if (buffer_.capacity() > keep_capacity) {
            std::string().swap(buffer_);
        }
    }
    maybe_resume_transport();
    return out;
}

coro<std::string> stream_reader::read(std::ptrdiff_t n) {
    check_exception();
    if (n == 0) {
        co_return std::string();
    }
    if (n < 0) {
        std::string all;
        for (;;) {
            std::string block = co_await read(static_cast<std::ptrdiff_t>(limit_));
            if (block.empty()) {
                co_return all;
            }
            all += block;
        }
    }
    if (buffered() == 0 && !eof_) {
        {
            data_wait wait = wait_for_data("read");
            co_await wait;
        }
    }
    co_return take(std::min(static_cast<std::size_t>(n), buffered()));
}

coro<std::string> stream_reader::readexactly(std::size_t n) {
    check_exception();
    while (buffered() < n) {
        if (eof_) {
            std::string partial = take(buffered());
            throw incomplete_read_error(std::move(partial), n);
        }
        {
            data_wait wait = wait_for_data("readexactly");
            co_await wait;
        }
    }
    co_return take(n);
}

coro<std::string> stream_reader::readuntil(std::string_view separator) {
    const std::string_view one[] = {separator};
    co_return co_await readuntil(std::span<const std::string_view>(one));
}

std::optional<stream_reader::match> stream_reader::find(std::span<const std::string_view> seps,
                                                        std::size_t from) const {
    std::optional<match> best;
    const std::string_view unread = std::string_view(buffer_).substr(start_);
    for (std::string_view sep : seps) {
        const std::size_t at = unread.find(sep, from);
        if (at == std::string_view::npos) {
            continue;
        }
        const std::size_t end = at + sep.size();
        // The match that ends first; on a tie the shorter separator (seps is sorted by size).
        if (!best || end < best->end) {
            best = match{at, end};
        }
    }
    return best;
}

coro<std::string> stream_reader::readuntil(std::span<const std::string_view> separators) {
    std::vector<std::string_view> seps(separators.begin(), separators.end());
    if (seps.empty()) {
        throw std::invalid_argument("Separator should contain at least one element");
    }
    std::stable_sort(seps.begin(), seps.end(),
                     [](std::string_view a, std::string_view b) { return a.size() < b.size(); });
    const std::size_t min_len = seps.front().size();
    const std::size_t max_len = seps.back().size();
    if (min_len == 0) {
        throw std::invalid_argument("Separator should be at least one-byte string");
    }
    check_exception();
    // Bytes before `offset` were searched already: a separator can only end past it.
    std::size_t offset = 0;
    std::optional<match> found;
    for (;;) {
        const std::size_t len = buffered();
        if (len - std::min(len, offset) >= min_len) {
            found = find(seps, offset);
            if (found) {
                break;
            }
            offset = len + 1 > max_len ? len + 1 - max_len : 0;
            if (offset > limit_) {
                throw limit_overrun_error("Separator is not found, and chunk exceed the limit",
                                          offset);
            }
        }
        if (eof_) {
            std::string partial = take(buffered());
            throw incomplete_read_error(std::move(partial), std::nullopt);
        }
        {
            data_wait wait = wait_for_data("readuntil");
            co_await wait;
        }
    }
    if (found->start > limit_) {
        throw limit_overrun_error("Separator is found, but chunk is longer than limit",
                                  found->start);
    }
    co_return take(found->end);
}

coro<std::string> stream_reader::readline() {
    constexpr std::string_view sep = "\n";
    std::exception_ptr overrun;
    std::size_t consumed = 0;
    std::string partial;
    try {
        co_return co_await readuntil(sep);
    } catch (const incomplete_read_error& e) {
        partial = e.partial;
    } catch (const limit_overrun_error& e) {
        overrun = std::current_exception();
        consumed = e.consumed;
    }
    if (!overrun) {
        co_return partial; // EOF: the rest of the stream, without a separator
    }
    // asyncio drops the long line: through its separator if that is buffered, else all.
    const std::string_view unread = std::string_view(buffer_).substr(start_);
    if (unread.substr(std::min(consumed, unread.size())).starts_with(sep)) {
        take(consumed + sep.size());
    } else {
        take(buffered());
    }
    try {
        std::rethrow_exception(overrun);
    } catch (const limit_overrun_error& e) {
        throw std::invalid_argument(e.what());
    }
}

} // namespace coreloop::net
