// Slow paths of the frame pool: empty size class, oversized blocks, and release at thread exit.
#include <coreloop/detail/frame_allocator.hpp>

namespace coreloop::detail {
namespace {

std::size_t rounded(std::size_t size) noexcept {
    return (frame_class(size) + 1) * frame_granule;
}

struct frame_pool_guard {
    frame_pool_guard() = default;
    frame_pool_guard(const frame_pool_guard&) = delete;
    frame_pool_guard& operator=(const frame_pool_guard&) = delete;
    ~frame_pool_guard() {
        frame_pool& pool = tls_frame_pool;
        for (std::size_t c = 0; c < frame_classes; ++c) {
            while (frame_pool::block* b = pool.heads[c]) {
                CORELOOP_UNPOISON(b, (c + 1) * frame_granule);
                pool.heads[c] = b->next;
                ::operator delete(b, rounded(c * frame_granule + 1));
            }
            pool.counts[c] = 0;
        }
    }
};

} // namespace

void* frame_alloc_slow(std::size_t size) {
    // Touching the guard registers its destructor for this thread the first time.
    static thread_local frame_pool_guard guard;
    (void)guard;
    void* p = ::operator new(frame_class(size) < frame_classes ? rounded(size) : size);
    ++tls_frame_pool.live;
    return p;
}

void frame_free_slow(void* p, std::size_t size) noexcept {
    --tls_frame_pool.live;
    ::operator delete(p, frame_class(size) < frame_classes ? rounded(size) : size);
}

} // namespace coreloop::detail
