// guard<M>: the RAII release of a lock or semaphore acquired with `co_await m.scoped()`
// (asyncio's `async with lock:`), so a body cannot forget release().
#pragma once

#include <utility>

namespace coreloop::sync {

/// Owns one acquisition of M (lock, semaphore, bounded_semaphore, condition) and releases it
/// when destroyed. Move-only.
/// Errors: none; the destructor never throws.
/// Shard: destroy it on the shard of the primitive.
template <class M>
class [[nodiscard]] guard {
public:
    guard() noexcept = default;
    /// Adopts an acquisition the caller already holds.
    explicit guard(M& m) noexcept
        : m_(&m) {}
    guard(guard&& other) noexcept
        : m_(std::exchange(other.m_, nullptr)) {}
    guard& operator=(guard&& other) noexcept {
        if (this != &other) {
            reset();
            m_ = std::exchange(other.m_, nullptr);
        }
        return *this;
    }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { reset(); }

    /// True while the guard still holds the acquisition.
    bool owns_lock() const noexcept { return m_ != nullptr; }
    explicit operator bool() const noexcept { return owns_lock(); }

    /// Releases early (idempotent).
    void reset() noexcept {
        if (M* m = std::exchange(m_, nullptr)) {
            m->release_held();
        }
    }

    /// Gives up ownership without releasing; the caller must release() later.
    M* release() noexcept { return std::exchange(m_, nullptr); }

private:
    M* m_ = nullptr;
};

} // namespace coreloop::sync
