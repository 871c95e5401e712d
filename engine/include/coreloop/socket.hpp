// socket: an owned non-blocking socket descriptor; sock_address: an IPv4, IPv6 or Unix address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <sys/socket.h>

namespace coreloop {

/// A socket address (sockaddr_storage with its length).
class sock_address {
public:
    sock_address() noexcept;

    /// A numeric IPv4 or IPv6 host ("127.0.0.1", "::1") and port.
    /// Errors: std::invalid_argument if host is not a numeric address.
    static sock_address from_ip(std::string_view host, std::uint16_t port);
    /// A Unix-domain socket path. Errors: std::invalid_argument if too long.
    static sock_address from_unix_path(std::string_view path);

    int family() const noexcept { return storage_.ss_family; }
    /// The numeric host ("127.0.0.1"), or the path of a Unix address.
    std::string host() const;
    std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080", "[::1]:8080" or the Unix path.
    std::string to_string() const;

    const ::sockaddr* data() const noexcept {
        return reinterpret_cast<const ::sockaddr*>(&storage_);
    }
    ::sockaddr* data() noexcept { return reinterpret_cast<::sockaddr*>(&storage_); }
    ::socklen_t size() const noexcept { return size_; }
    /// For calls that fill the address in (accept, getsockname): capacity in, length out.
    ::socklen_t* size_ptr() noexcept { return &size_; }
    void reset_size() noexcept { size_ = sizeof(storage_); }

    friend bool operator==(const sock_address& a, const sock_address& b) noexcept;

private:
    ::sockaddr_storage storage_;
    ::socklen_t size_;
};

/// An owned socket file descriptor, non-blocking and close-on-exec. Move-only; closes on
/// destruction. Closing tells the running loop to forget the descriptor.
/// Errors: the methods throw io_error (errno in code()).
/// Shard: a socket used by a loop's sock_* operations belongs to that loop.
class socket {
public:
    socket() noexcept = default;
    /// Adopts fd (which should already be non-blocking).
    explicit socket(int fd) noexcept
        : fd_(fd) {}
    socket(socket&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)) {}
    socket& operator=(socket&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    ~socket() { close(); }

    /// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
    static socket create(int family, int type = SOCK_STREAM, int protocol = 0);
    /// socketpair(), both ends non-blocking.
    static std::pair<socket, socket> pair(int family = AF_UNIX, int type = SOCK_STREAM);

    int fileno() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }
    /// Gives up ownership of the descriptor.
    int detach() noexcept { return std::exchange(fd_, -1); }
    /// Closes the descriptor (idempotent, never throws).
    void close() noexcept;

    void bind(const sock_address& address);
    void listen(int backlog = 128);
    void shutdown(int how);
    sock_address getsockname() const;
    sock_address getpeername() const;
    void setsockopt(int level, int option, int value);
    int getsockopt(int level, int option) const;

private:
    int fd_ = -1;
};

} // namespace coreloop
