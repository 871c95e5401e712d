// Socket descriptors and addresses.
#include <coreloop/socket.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <coreloop/exceptions.hpp>

namespace coreloop {

namespace detail {
// Defined with the loop: tells the running loop's reactor that fd is going away.
void forget_fd_on_running_loop(int fd) noexcept;
} // namespace detail

sock_address::sock_address() noexcept
    : storage_{}
    , size_(sizeof(storage_)) {}

sock_address sock_address::from_ip(std::string_view host, std::uint16_t port) {
    std::string h(host);
    if (!h.empty() && h.front() == '[' && h.back() == ']') {
        h = h.substr(1, h.size() - 2);
    }
    sock_address a;
    auto* v4 = reinterpret_cast<::sockaddr_in*>(&a.storage_);
    if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.size_ = sizeof(::sockaddr_in);
        return a;
    }
    auto* v6 = reinterpret_cast<::sockaddr_in6*>(&a.storage_);
    if (::inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.size_ = sizeof(::sockaddr_in6);
        return a;
    }
    throw std::invalid_argument("not a numeric IP address: " + h);
}

sock_address sock_address::from_unix_path(std::string_view path) {
    sock_address a;
    auto* un = reinterpret_cast<::sockaddr_un*>(&a.storage_);
    if (path.size() >= sizeof(un->sun_path)) {
        throw std::invalid_argument("Unix socket path too long");
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.size_ = static_cast<::socklen_t>(offsetof(::sockaddr_un, sun_path) + path.size() + 1);
    return a;
}

std::string sock_address::host() const {
    char text[INET6_ADDRSTRLEN] = {};
    switch (family()) {
    case AF_INET:
        ::inet_ntop(AF_INET, &reinterpret_cast<const ::sockaddr_in*>(&storage_)->sin_addr, text,
                    sizeof(text));
        return text;
    case AF_INET6:
        ::inet_ntop(AF_INET6, &reinterpret_cast<const ::sockaddr_in6*>(&storage_)->sin6_addr, text,
                    sizeof(text));
        return text;
    case AF_UNIX:
        return reinterpret_cast<const ::sockaddr_un*>(&storage_)->sun_path;
    default:
        return {};
    }
}

std::uint16_t sock_address::port() const noexcept {
    switch (family()) {
    case AF_INET:
        return ntohs(reinterpret_cast<const ::sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6:
        return ntohs(reinterpret_cast<const ::sockaddr_in6*>(&storage_)->sin6_port);
    default:
        return 0;
    }
}

std::string sock_address::to_string() const {
    // Appends rather than operator+: GCC 12 gives a false -Wrestrict on string concatenation
    // at -O2 and above.
    std::string text;
    switch (family()) {
    case AF_INET:
        text = host();
        break;
    case AF_INET6:
        text = "[";
        text.append(host()).append("]");
        break;
    default:
        return host();
    }
    text.append(":").append(std::to_string(port()));
    return text;
}

bool operator==(const sock_address& a, const sock_address& b) noexcept {
    return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

socket socket::create(int family, int type, int protocol) {
    int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        throw_io_error(errno, "socket");
    }
    return socket(fd);
}

std::pair<socket, socket> socket::pair(int family, int type) {
    int fds[2];
    if (::socketpair(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        throw_io_error(errno, "socketpair");
    }
    return {socket(fds[0]), socket(fds[1])};
}

void socket::close() noexcept {
    if (fd_ < 0) {
        return;
    }
    detail::forget_fd_on_running_loop(fd_);
    ::close(fd_); // the descriptor is released even when close reports an error
    fd_ = -1;
}

void socket::bind(const sock_address& address) {
    if (::bind(fd_, address.data(), address.size()) != 0) {
        throw_io_error(errno, "bind " + address.to_string());
    }
}

void socket::listen(int backlog) {
    if (::listen(fd_, backlog) != 0) {
        throw_io_error(errno, "listen");
    }
}

void socket::shutdown(int how) {
    if (::shutdown(fd_, how) != 0) {
        throw_io_error(errno, "shutdown");
    }
}

sock_address socket::getsockname() const {
    sock_address a;
    if (::getsockname(fd_, a.data(), a.size_ptr()) != 0) {
        throw_io_error(errno, "getsockname");
    }
    return a;
}

sock_address socket::getpeername() const {
    sock_address a;
    if (::getpeername(fd_, a.data(), a.size_ptr()) != 0) {
        throw_io_error(errno, "getpeername");
    }
    return a;
}

void socket::setsockopt(int level, int option, int value) {
    if (::setsockopt(fd_, level, option, &value, sizeof(value)) != 0) {
        throw_io_error(errno, "setsockopt");
    }
}

int socket::getsockopt(int level, int option) const {
    int value = 0;
    ::socklen_t size = sizeof(value);
    if (::getsockopt(fd_, level, option, &value, &size) != 0) {
        throw_io_error(errno, "getsockopt");
    }
    return value;
}

} // namespace coreloop
