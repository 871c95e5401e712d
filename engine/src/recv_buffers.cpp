// Allocation of a loop's receive buffers.
#include "recv_buffers.hpp"

#include <cstdlib>

namespace coreloop::detail {

void recv_buffers::free_deleter::operator()(std::byte* p) const noexcept {
    std::free(p);
}

bool recv_buffers::allocate() noexcept {
    constexpr std::size_t page = 4096;
    void* p = nullptr;
    if (::posix_memalign(&p, page, static_cast<std::size_t>(count_) * size_) != 0) {
        return false;
    }
    memory_.reset(static_cast<std::byte*>(p));
    return true;
}

} // namespace coreloop::detail
