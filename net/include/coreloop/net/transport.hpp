// Transports: the interface protocols and streams use to talk to a connection
// (asyncio.BaseTransport, ReadTransport, WriteTransport, Transport, DatagramTransport).
#pragma once

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include <coreloop/socket.hpp>

namespace coreloop::net {

class base_protocol;

/// What every transport offers (asyncio.BaseTransport). Transports are owned by shared_ptr;
/// a transport stays alive while its connection is open, even if the user drops it.
/// Shard: every method must be called on the loop that made the transport.
class base_transport : public std::enable_shared_from_this<base_transport> {
public:
    base_transport() = default;
    base_transport(const base_transport&) = delete;
    base_transport& operator=(const base_transport&) = delete;
    virtual ~base_transport() = default;

    /// Closes the transport: buffered data is still sent, then the protocol's
    /// connection_lost(nullptr) is called soon. Idempotent; never throws.
    virtual void close() noexcept = 0;
    /// True once close() or abort() was called, or the connection was lost.
    virtual bool is_closing() const noexcept = 0;
    /// Optional information, by asyncio's names: "peername" and "sockname" (sock_address),
    /// "socket" (int, the descriptor, still owned by the transport). An empty std::any when
    /// the name is unknown or the value unavailable.
    virtual std::any get_extra_info(std::string_view name) const = 0;
    /// The protocol the transport calls.
    virtual base_protocol* get_protocol() const noexcept = 0;
};

/// The reading side (asyncio.ReadTransport).
class read_transport : public virtual base_transport {
public:
    /// True while the protocol receives data (not paused, not closing).
    virtual bool is_reading() const noexcept = 0;
    /// Stops delivering data until resume_reading(); idempotent.
    virtual void pause_reading() noexcept = 0;
    /// Delivers data again; idempotent.
    virtual void resume_reading() noexcept = 0;
};

/// The writing side (asyncio.WriteTransport). Writes never block: the data is copied into the
/// transport's buffer, and the protocol's pause_writing()/resume_writing() report when that
/// buffer crosses the high-water mark and falls back to the low-water mark.
class write_transport : public virtual base_transport {
public:
    /// Queues data; writes made in one loop iteration go to the kernel in one system call.
    /// Errors: std::runtime_error after write_eof(). Writes after close() or a lost
    /// connection are dropped (asyncio logs them; so do we, in debug mode).
    virtual void write(std::span<const std::byte> data) = 0;
    void write(std::string_view data) { write(std::as_bytes(std::span(data.data(), data.size()))); }
    /// Writes each buffer in order.
    virtual void writelines(std::span<const std::span<const std::byte>> buffers) {
        for (auto b : buffers) {
            write(b);
        }
    }
    /// Half-closes after the buffered data is sent (shutdown(SHUT_WR)).
    /// Errors: std::runtime_error if !can_write_eof().
    virtual void write_eof() = 0;
    virtual bool can_write_eof() const noexcept = 0;
    /// Closes at once, dropping buffered data; connection_lost(nullptr) follows soon.
    virtual void abort() noexcept = 0;
    /// Bytes buffered and not yet accepted by the kernel.
    virtual std::size_t get_write_buffer_size() const noexcept = 0;
    /// (low, high) water marks.
    virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept = 0;
    /// asyncio's rules: high defaults to 64 KiB (or 4 * low if only low is given), low to
    /// high / 4. Errors: std::invalid_argument unless high >= low.
    virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                         std::optional<std::size_t> low = std::nullopt) = 0;
};

/// A bidirectional stream connection (asyncio.Transport).
class transport : public read_transport, public write_transport {};

/// A datagram endpoint (asyncio.DatagramTransport).
class datagram_transport : public virtual base_transport {
public:
    /// Sends one datagram to `addr`, or to the connected peer when addr is null.
    /// Errors: std::invalid_argument for an address on a connected endpoint, or none on an
    /// unconnected one. Send errors go to the protocol's error_received().
    virtual void sendto(std::span<const std::byte> data, const sock_address* addr = nullptr) = 0;
    void sendto(std::string_view data, const sock_address* addr = nullptr) {
        sendto(std::as_bytes(std::span(data.data(), data.size())), addr);
    }
    /// Closes at once, dropping queued datagrams.
    virtual void abort() noexcept = 0;
    virtual std::size_t get_write_buffer_size() const noexcept = 0;
};

} // namespace coreloop::net
