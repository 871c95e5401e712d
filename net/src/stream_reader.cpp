// stream_reader: asyncio's StreamReader over one contiguous buffer with a read offset; the
// buffer, flow control, waiting, read and readexactly (readuntil is in stream_reader_until.cpp).
#include <coreloop/net/stream_reader.hpp>

#include <algorithm>
#include <stdexcept>

#include <coreloop/event_loop.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/transport.hpp>

namespace coreloop::net {
namespace {

// A buffer emptied by reads keeps its memory up to this size; a bigger one is freed (or
// handed to the reader), so an idle connection does not hold the memory of its largest burst.
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
    // Compact only when the bytes would not fit and the read prefix is at least as long as
    // what is left: the move then costs no more than what reads consumed since the last one.
    if (start_ > 0 && buffer_.size() + data.size() > buffer_.capacity() && start_ >= buffered()) {
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
    if (waiter_.valid()) {
        future<void> w = std::move(waiter_);
        if (!w.done()) {
            w.set_exception(std::move(e));
        }
    }
}

void stream_reader::wake_waiter() noexcept {
    if (waiter_.valid()) {
        future<void> w = std::move(waiter_);
        if (!w.done()) {
            w.set_result(); // the read resumes from the ready queue, never inline
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

stream_reader::data_wait::~data_wait() {
    // Forget the waiter only if it is still ours: once woken, another read may have started
    // waiting before this one resumed.
    if (reader_->waiter_.state() == waiter_.state()) {
        reader_->waiter_ = future<void>();
    }
}

stream_reader::data_wait stream_reader::wait_for_data(const char* caller) {
    if (waiter_.valid()) {
        throw std::runtime_error(std::string(caller) +
                                 "() called while another coroutine is already waiting for "
                                 "incoming data");
    }
    // Waiting while the transport is paused would wait forever (readexactly(n) with n over
    // twice the limit, for one).
    if (paused_) {
        paused_ = false;
        if (transport_ != nullptr) {
            transport_->resume_reading();
        }
    }
    waiter_ = get_running_loop().create_future<void>();
    return data_wait(*this, waiter_);
}

std::string stream_reader::consume(std::size_t n) {
    std::string out;
    if (n < buffered()) {
        out.assign(buffer_, start_, n);
        start_ += n;
        return out;
    }
    if (start_ == 0 && n > keep_capacity && n >= buffer_.capacity() / 2) {
        // A big burst read whole: hand the buffer over instead of copying it.
        out = std::move(buffer_);
        buffer_ = std::string();
    } else {
        out.assign(buffer_, start_, n);
        buffer_.clear();
        if (buffer_.capacity() > keep_capacity) {
            std::string().swap(buffer_);
        }
    }
    start_ = 0;
    return out;
}

void stream_reader::unconsume(std::string_view bytes) {
    buffer_.replace(0, start_, bytes);
    start_ = 0;
}

coro<std::string> stream_reader::read(std::ptrdiff_t n) {
    check_exception();
    if (n == 0) {
        co_return std::string();
    }
    if (n > 0) {
        if (buffered() == 0 && !eof_) {
            data_wait wait = wait_for_data("read");
            co_await wait;
        }
        std::string out = consume(std::min(static_cast<std::size_t>(n), buffered()));
        maybe_resume_transport();
        co_return out;
    }
    // asyncio reads blocks of `limit` bytes until one comes back empty; taking all that is
    // buffered at once is the same, as no other task can run between those blocks.
    std::string all;
    try {
        for (;;) {
            if (buffered() == 0 && !eof_) {
                data_wait wait = wait_for_data("read");
                co_await wait;
            }
            if (buffered() == 0) {
                co_return all;
            }
            all += consume(buffered());
            maybe_resume_transport();
            check_exception();
        }
    } catch (...) {
        // asyncio drops the blocks read so far; a cancelled read must lose nothing.
        unconsume(all);
        throw;
    }
}

coro<std::string> stream_reader::readexactly(std::size_t n) {
    check_exception();
    if (n == 0) {
        co_return std::string();
    }
    while (buffered() < n) {
        if (eof_) {
            throw incomplete_read_error(consume(buffered()), n);
        }
        data_wait wait = wait_for_data("readexactly");
        co_await wait;
    }
    std::string out = consume(n);
    maybe_resume_transport();
    co_return out;
}

} // namespace coreloop::net
