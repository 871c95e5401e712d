// Protocols: the callbacks a transport calls (asyncio.BaseProtocol, Protocol, BufferedProtocol,
// DatagramProtocol).
#pragma once

#include <cstddef>
#include <exception>
#include <span>

#include <coreloop/socket.hpp>

namespace coreloop::net {

class transport;
class datagram_transport;

/// What every protocol receives (asyncio.BaseProtocol). Callbacks run on the transport's loop;
/// an exception escaping one is reported to the loop's exception handler and aborts the
/// transport (asyncio's "Fatal error: protocol.data_received() call failed").
class base_protocol {
public:
    virtual ~base_protocol() = default;

    /// Once, after every other callback: the connection is closed. `exc` is null for a normal
    /// close (EOF, close(), abort()) and holds the error otherwise (a reset, say).
    virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
    /// The transport's write buffer went over its high-water mark. Alternates strictly with
    /// resume_writing().
    virtual void pause_writing() {}
    /// The write buffer drained to its low-water mark after pause_writing().
    virtual void resume_writing() {}
};

/// A stream protocol that receives data as the transport reads it (asyncio.Protocol).
/// Order: connection_made, data_received*, eof_received?, connection_lost.
class protocol : public base_protocol {
public:
    /// Once, first. `t` stays valid until connection_lost() returns; keep it longer with
    /// t.shared_from_this().
    virtual void connection_made(transport& t) { (void)t; }
    /// Bytes in arrival order. `data` is valid only during the call.
    virtual void data_received(std::span<const std::byte> data) { (void)data; }
    /// The peer half-closed. Return true to keep the connection open for writing (the
    /// protocol closes it later); false closes the transport.
    virtual bool eof_received() { return false; }
};

/// A stream protocol that hands out its own buffer to read into (asyncio.BufferedProtocol).
class buffered_protocol : public base_protocol {
public:
    virtual void connection_made(transport& t) { (void)t; }
    /// A buffer to receive at most its size of bytes; `sizehint` is how many are ready
    /// (a hint: a smaller buffer gets the rest on the next call). An empty span is an error.
    virtual std::span<std::byte> get_buffer(std::size_t sizehint) = 0;
    /// The first `nbytes` of the last buffer returned by get_buffer() were filled.
    virtual void buffer_updated(std::size_t nbytes) = 0;
    /// As protocol::eof_received().
    virtual bool eof_received() { return false; }
};

/// A datagram endpoint's callbacks (asyncio.DatagramProtocol).
class datagram_protocol : public base_protocol {
public:
    virtual void connection_made(datagram_transport& t) { (void)t; }
    /// One datagram; `data` is valid only during the call.
    virtual void datagram_received(std::span<const std::byte> data, const sock_address& addr) {
        (void)data;
        (void)addr;
    }
    /// A send or receive failed (ICMP port unreachable, say); the endpoint stays open.
    virtual void error_received(std::exception_ptr exc) { (void)exc; }
};

} // namespace coreloop::net
