// static_file: path checks, open(2) and fstat(2).
#include "httpd/static_files.hpp"

#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd/responses.hpp"

namespace coreloop::httpd {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        return (c | 0x20) - 'a' + 10;
    }
    return -1;
}

/// No segment of `path` is "..": the file stays under the root.
bool stays_inside(std::string_view path) noexcept {
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        if (path.substr(0, slash) == "..") {
            return false;
        }
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    return true;
}

} // namespace

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        const int high = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
        const int low = high < 0 ? -1 : hex_value(in[i + 2]);
        if (low < 0 || (high == 0 && low == 0)) {
            return false;
        }
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return true;
}

static_file::static_file(static_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1))
    , status_(other.status_)
    , size_(other.size_)
    , content_type_(other.content_type_) {}

static_file& static_file::operator=(static_file&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        status_ = other.status_;
        size_ = other.size_;
        content_type_ = other.content_type_;
    }
    return *this;
}

static_file::~static_file() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

static_file static_file::open(const std::string& root, std::string_view relative) {
    static_file file;
    std::string path;
    if (!percent_decode(relative, path)) {
        file.status_ = 400;
        return file;
    }
    if (root.empty() || path.empty() || !stays_inside(path)) {
        return file; // 404
    }
    const std::string full = root + "/" + path;
    file.fd_ = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st {};
    if (file.fd_ < 0 || ::fstat(file.fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        return file; // 404; the destructor closes what was opened
    }
    file.status_ = 200;
    file.size_ = static_cast<std::uint64_t>(st.st_size);
    file.content_type_ = content_type_of(path);
    return file;
}

} // namespace coreloop::httpd
