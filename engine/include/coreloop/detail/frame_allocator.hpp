// Per-thread (per-shard) size-class free lists for coroutine frames and other small objects.
// Freed blocks are cached for reuse by the same thread; the hot path is a TLS pointer pop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

// Under AddressSanitizer a block waiting in the free list is poisoned, so that a use after free
// of a coroutine frame or pooled object is reported as with malloc'd memory.
#if defined(__SANITIZE_ADDRESS__)
#define CORELOOP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORELOOP_ASAN 1
#endif
#endif
#ifdef CORELOOP_ASAN
#include <sanitizer/asan_interface.h>
#define CORELOOP_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define CORELOOP_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define CORELOOP_POISON(p, n) static_cast<void>(0)
#define CORELOOP_UNPOISON(p, n) static_cast<void>(0)
#endif

namespace coreloop::detail {

inline constexpr std::size_t frame_granule = 16;
inline constexpr std::size_t frame_classes = 64; // blocks of 16 .. 1024 bytes are pooled
// Freed blocks kept per size class, as bytes: enough that a burst of tens of thousands of
// small callbacks or frames never reaches malloc (whose heap trimming then page-faults the
// memory back in on the next burst), bounded so an idle shard does not hoard memory.
inline constexpr std::size_t frame_cache_bytes = 4 << 20;

inline constexpr std::uint32_t frame_cache_limit(std::size_t size_class) noexcept {
    return static_cast<std::uint32_t>(frame_cache_bytes / ((size_class + 1) * frame_granule));
}

struct frame_pool {
    struct block {
        block* next;
    };
    block* heads[frame_classes];
    std::uint32_t counts[frame_classes];
    std::int64_t live; // blocks allocated and not yet freed by this thread
};

// Trivially constructible and destructible, so every access is a plain TLS access; the cached
// blocks are released at thread exit by a separate guard (see frame_allocator.cpp).
inline constinit thread_local frame_pool tls_frame_pool{};

void* frame_alloc_slow(std::size_t size);
void frame_free_slow(void* p, std::size_t size) noexcept;

inline std::size_t frame_class(std::size_t size) noexcept {
    return (size - 1) / frame_granule;
}

/// Allocates `size` bytes from this thread's pool (::operator new above 1 KiB).
inline void* frame_alloc(std::size_t size) {
    frame_pool& pool = tls_frame_pool;
    std::size_t c = frame_class(size);
    if (c < frame_classes && pool.heads[c] != nullptr) {
        frame_pool::block* b = pool.heads[c];
        CORELOOP_UNPOISON(b, (c + 1) * frame_granule);
        pool.heads[c] = b->next;
        --pool.counts[c];
        ++pool.live;
        return b;
    }
    return frame_alloc_slow(size);
}

/// Returns a block of `size` bytes obtained from frame_alloc.
inline void frame_free(void* p, std::size_t size) noexcept {
    frame_pool& pool = tls_frame_pool;
    std::size_t c = frame_class(size);
    if (c < frame_classes && pool.counts[c] < frame_cache_limit(c)) {
        auto* b = static_cast<frame_pool::block*>(p);
        b->next = pool.heads[c];
        pool.heads[c] = b;
        ++pool.counts[c];
        --pool.live;
        CORELOOP_POISON(b, (c + 1) * frame_granule);
        return;
    }
    frame_free_slow(p, size);
}

/// Blocks this thread allocated from the pool and has not freed (tests check it returns to 0).
inline std::int64_t live_frames() noexcept {
    return tls_frame_pool.live;
}

/// Mixin giving a class the pool's operator new/delete.
struct pooled {
    static void* operator new(std::size_t size) { return frame_alloc(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_free(p, size); }
};

} // namespace coreloop::detail
