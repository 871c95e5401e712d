// coreloop's two echo servers' per-connection code: one on protocols, one on streams. The
// embedded server of coreloop-bench and perf/net's servers (coreloop_echo, coreloop_idle_memory)
// all use these.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include <coreloop/coro.hpp>
#include <coreloop/exceptions.hpp>
#include <coreloop/net/protocol.hpp>
#include <coreloop/net/stream_reader.hpp>
#include <coreloop/net/stream_writer.hpp>
#include <coreloop/net/transport.hpp>

namespace coreloop::perf {

/// Writes back what it receives: the writes of one loop iteration leave in one send.
class echo_protocol final : public net::protocol {
public:
    void connection_made(net::transport& t) override { transport_ = &t; }
    void data_received(std::span<const std::byte> data) override { transport_->write(data); }

private:
    net::transport* transport_ = nullptr;
};

/// Reads up to `chunk` bytes at a time and writes them back, waiting in drain() whenever the
/// peer falls behind; closes at EOF. A peer that resets ends it quietly: load generators
/// abort their connections when a run ends.
inline coro<void> echo_stream(std::shared_ptr<net::stream_reader> reader,
                              std::shared_ptr<net::stream_writer> writer,
                              std::size_t chunk) {
    try {
        for (;;) {
            std::string data = co_await reader->read(static_cast<std::ptrdiff_t>(chunk));
            if (data.empty()) {
                break;
            }
            writer->write(data);
            co_await writer->drain();
        }
    } catch (const io_error&) {
    }
    writer->close();
}

} // namespace coreloop::perf
