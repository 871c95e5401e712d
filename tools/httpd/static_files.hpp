// GET /files/...: from a request path to an open regular file under the server's root, with
// percent-decoding and no way out of the root through "..".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coreloop::httpd {

/// An open file to send, or the status that answers the request instead.
class static_file {
public:
    static_file() = default;
    static_file(static_file&& other) noexcept;
    static_file& operator=(static_file&& other) noexcept;
    static_file(const static_file&) = delete;
    static_file& operator=(const static_file&) = delete;
    ~static_file();

    /// Opens `relative` (the request path after "/files/", still percent-encoded) under
    /// `root`. On failure status() says why: 400 for a malformed path or a NUL byte, 404
    /// for a path with a ".." segment, a missing or unreadable file, a directory, or an
    /// empty root.
    static static_file open(const std::string& root, std::string_view relative);

    int status() const noexcept { return status_; }
    int fd() const noexcept { return fd_; }
    std::uint64_t size() const noexcept { return size_; }
    std::string_view content_type() const noexcept { return content_type_; }

private:
    int fd_ = -1;
    int status_ = 404;
    std::uint64_t size_ = 0;
    std::string_view content_type_;
};

/// Decodes %XX escapes; false for a bad escape or an encoded NUL.
bool percent_decode(std::string_view in, std::string& out);

} // namespace coreloop::httpd
