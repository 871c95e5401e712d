// The receive buffers of one loop, which multishot receives fill: one block of memory cut into
// equal buffers named by 16-bit ids, made on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace coreloop::detail {

class recv_buffers {
public:
    /// count must be a power of two in [1, 32768] (io_uring's buffer ring limit).
    recv_buffers(std::uint32_t count, std::uint32_t size) noexcept
        : count_(count)
        , size_(size) {}

    std::uint32_t count() const noexcept { return count_; }
    std::uint32_t size() const noexcept { return size_; }
    /// Allocates the memory (page-aligned; untouched pages cost nothing). False on ENOMEM.
    bool allocate() noexcept;
    bool allocated() const noexcept { return memory_ != nullptr; }
    std::byte* data(std::uint16_t id) const noexcept {
        return memory_.get() + static_cast<std::size_t>(id) * size_;
    }

private:
    struct free_deleter {
        void operator()(std::byte* p) const noexcept;
    };

    std::uint32_t count_;
    std::uint32_t size_;
    std::unique_ptr<std::byte, free_deleter> memory_;
};

} // namespace coreloop::detail
