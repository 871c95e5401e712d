// stream_reader's readuntil (one or several separators) and readline, following asyncio's
// search: an offset past which a separator may still end, and the limit rules.
#include <coreloop/net/stream_reader.hpp>

#include <algorithm>
#include <stdexcept>

#include <coreloop/exceptions.hpp>

namespace coreloop::net {

coro<std::string> stream_reader::readline() {
    return scan_until("\n", {}, scan_mode::line);
}

coro<std::string> stream_reader::readuntil(std::string_view separator) {
    return scan_until(std::string(separator), {}, scan_mode::one);
}

coro<std::string> stream_reader::readuntil(std::span<const std::string_view> separators) {
    return scan_until({}, std::vector<std::string>(separators.begin(), separators.end()),
                      scan_mode::several);
}

std::optional<stream_reader::match> stream_reader::find(std::span<const std::string> seps,
                                                        std::size_t from) const {
    std::optional<match> best;
    const std::string_view unread = std::string_view(buffer_).substr(start_);
    for (const std::string& sep : seps) {
        // One byte (readline's case): memchr.
        const std::size_t at = sep.size() == 1 ? unread.find(sep[0], from) : unread.find(sep, from);
        if (at == std::string_view::npos) {
            continue;
        }
        // The match that ends first; on a tie the earlier, shorter separator (seps is sorted
        // by length), as asyncio.
        const std::size_t end = at + sep.size();
        if (!best || end < best->end) {
            best = match{at, end};
        }
    }
    return best;
}

void stream_reader::overrun(const char* message,
                            std::size_t consumed,
                            std::string_view sep,
                            scan_mode mode) {
    if (mode != scan_mode::line) {
        throw limit_overrun_error(message, consumed);
    }
    // readline drops the long line: through its separator when that is buffered right there,
    // else the whole buffer.
    const std::string_view unread = std::string_view(buffer_).substr(start_);
    if (consumed <= unread.size() && unread.substr(consumed).starts_with(sep)) {
        consume(consumed + sep.size());
    } else {
        consume(buffered());
    }
    maybe_resume_transport();
    throw std::invalid_argument(message);
}

coro<std::string>
stream_reader::scan_until(std::string one, std::vector<std::string> many, scan_mode mode) {
    std::span<const std::string> seps(&one, 1);
    if (mode == scan_mode::several) {
        if (many.empty()) {
            throw std::invalid_argument("Separator should contain at least one element");
        }
        // The shortest first, so that it wins a tie.
        std::stable_sort(many.begin(), many.end(), [](const std::string& a, const std::string& b) {
            return a.size() < b.size();
        });
        seps = many;
    }
    const std::size_t min_len = seps.front().size();
    const std::size_t max_len = seps.back().size();
    if (min_len == 0) {
        throw std::invalid_argument("Separator should be at least one-byte string");
    }
    check_exception();
    // No separator starts before `offset`: the bytes before it were searched already.
    std::size_t offset = 0;
    std::optional<match> found;
    for (;;) {
        const std::size_t len = buffered();
        if (len - std::min(len, offset) >= min_len) {
            found = find(seps, offset);
            if (found) {
                break;
            }
            // The last max_len - 1 bytes may be the start of a separator still arriving.
            offset = len + 1 > max_len ? len + 1 - max_len : 0;
            if (offset > limit_) {
                overrun("Separator is not found, and chunk exceed the limit", offset, seps.front(),
                        mode);
            }
        }
        // A separator completed by the last bytes before EOF still counts: check EOF after
        // the search.
        if (eof_) {
            std::string rest = consume(buffered());
            if (mode == scan_mode::line) {
                co_return rest; // readline gives the unterminated rest
            }
            throw incomplete_read_error(std::move(rest), std::nullopt);
        }
        data_wait wait = wait_for_data("readuntil");
        co_await wait;
    }
    if (found->start > limit_) {
        overrun("Separator is found, but chunk is longer than limit", found->start, seps.front(),
                mode);
    }
    std::string out = consume(found->end);
    maybe_resume_transport();
    co_return out;
}

} // namespace coreloop::net
