// A move-only callable with inline storage: scheduling a small lambda never allocates.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include <coreloop/detail/frame_allocator.hpp>

namespace coreloop::detail {

template <class Signature, std::size_t Capacity = 48>
class small_function;

/// Holds any callable invocable as R(Args...). Callables up to Capacity bytes (and nothrow
/// movable) live inline; larger ones go to the frame pool.
template <class R, class... Args, std::size_t Capacity>
class small_function<R(Args...), Capacity> {
public:
    small_function() noexcept = default;

    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, small_function> &&
                 std::is_invocable_r_v<R, std::remove_cvref_t<F>&, Args...>)
    small_function(F&& f) { // NOLINT(google-explicit-constructor): used like std::function
        using stored = std::remove_cvref_t<F>;
        if constexpr (fits_inline<stored>) {
            ::new (static_cast<void*>(storage_)) stored(std::forward<F>(f));
            ops_ = &inline_ops<stored>;
        } else {
            void* p = frame_alloc(sizeof(stored));
            try {
                ::new (p) stored(std::forward<F>(f));
            } catch (...) {
                frame_free(p, sizeof(stored));
                throw;
            }
            *reinterpret_cast<void**>(storage_) = p;
            ops_ = &heap_ops<stored>;
        }
    }

    small_function(small_function&& other) noexcept
        : ops_(other.ops_) {
        if (ops_ != nullptr) {
            ops_->move(storage_, other.storage_);
            other.ops_ = nullptr;
        }
    }

    small_function& operator=(small_function&& other) noexcept {
        if (this != &other) {
            reset();
            ops_ = other.ops_;
            if (ops_ != nullptr) {
                ops_->move(storage_, other.storage_);
                other.ops_ = nullptr;
            }
        }
        return *this;
    }

    small_function(const small_function&) = delete;
    small_function& operator=(const small_function&) = delete;
    ~small_function() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

    /// Destroys the held callable (and what it captured) now.
    void reset() noexcept {
        if (ops_ != nullptr) {
            ops_->destroy(storage_);
            ops_ = nullptr;
        }
    }

private:
    struct ops_table {
        R (*invoke)(void* storage, Args&&... args);
        void (*move)(void* to, void* from) noexcept;
        void (*destroy)(void* storage) noexcept;
    };

    template <class F>
    static constexpr bool fits_inline =
            sizeof(F) <= Capacity &&
            alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template <class F>
    static constexpr ops_table inline_ops{
            [](void* s, Args&&... args) -> R {
                return (*std::launder(static_cast<F*>(s)))(std::forward<Args>(args)...);
            },
            [](void* to, void* from) noexcept {
                F* source = std::launder(static_cast<F*>(from));
                ::new (to) F(std::move(*source));
                source->~F();
            },
            [](void* s) noexcept { std::launder(static_cast<F*>(s))->~F(); },
    };

    template <class F>
    static constexpr ops_table heap_ops{
            [](void* s, Args&&... args) -> R {
                return (**static_cast<F**>(s))(std::forward<Args>(args)...);
            },
            [](void* to, void* from) noexcept {
                *static_cast<void**>(to) = *static_cast<void**>(from);
            },
            [](void* s) noexcept {
                F* f = *static_cast<F**>(s);
                f->~F();
                frame_free(f, sizeof(F));
            },
    };

    alignas(std::max_align_t) unsigned char storage_[Capacity];
    const ops_table* ops_ = nullptr;
};

/// What call_soon, call_later and friends schedule.
using callback = small_function<void()>;

} // namespace coreloop::detail
