// foreign_ptr<P>: a smart pointer carried to other shards and destroyed back on the shard that
// made it (Seastar's foreign_ptr).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <coreloop/coro.hpp>
#include <coreloop/log.hpp>
#include <coreloop/shard.hpp>
#include <coreloop/submit_to.hpp>

namespace coreloop {
namespace detail {

template <class P>
struct is_shared_ptr : std::false_type {};
template <class T>
struct is_shared_ptr<std::shared_ptr<T>> : std::true_type {};

} // namespace detail

/// Wraps a pointer P (std::unique_ptr<T>, std::shared_ptr<T>, or any pointer-like type with
/// operator bool, operator* and operator->: a raw T* among them) so that it can move to other
/// shards while what it points to stays owned by the shard that made it, its owner: when a
/// foreign_ptr is destroyed or reset away from its owner, the pointer is sent home and
/// destroyed there (for a shared_ptr, the reference is dropped there). A raw pointer owns
/// nothing: it is simply forgotten. Move-only.
///
/// Dereferencing gives the object on any shard; what may be done with it there is the
/// object's business (reading immutable data is the usual case).
/// Shard: made on its owner; moved to, used and destroyed on any shard's loop thread.
template <class P>
class foreign_ptr {
public:
    using pointer = P;
    using element_type = typename std::pointer_traits<P>::element_type;

    /// An empty foreign_ptr owned by this shard.
    /// Errors: none. Shard: any shard's thread (or a plain loop's: shard 0).
    foreign_ptr() noexcept(std::is_nothrow_default_constructible_v<P>)
        : ptr_()
        , owner_(this_shard_id()) {}
    /// Takes p; this shard becomes its owner.
    /// Errors: none. Shard: the shard where p's object must die.
    explicit foreign_ptr(P p) noexcept(std::is_nothrow_move_constructible_v<P>)
        : ptr_(std::move(p))
        , owner_(this_shard_id()) {}
    /// Takes other's pointer and owner, leaving other empty. Errors: none. Shard: any.
    foreign_ptr(foreign_ptr&& other) noexcept
        : ptr_(std::move(other.ptr_))
        , owner_(other.owner_) {
        other.ptr_ = P();
    }
    /// Releases what this held (sent home, as the destructor does), then takes other's.
    /// Errors: none (see the destructor). Shard: a shard's loop thread.
    foreign_ptr& operator=(foreign_ptr&& other) noexcept {
        if (this != &other) {
            destroy();
            ptr_ = std::move(other.ptr_);
            other.ptr_ = P();
            owner_ = other.owner_;
        }
        return *this;
    }
    foreign_ptr(const foreign_ptr&) = delete;
    foreign_ptr& operator=(const foreign_ptr&) = delete;

    /// Sends the pointer home to be destroyed on its owner (at once if this is the owner). The
    /// send is not awaited: the object dies on its owner a little later.
    /// Errors: none. Where the pointer cannot be sent (no loop runs on this thread, the owner
    /// is no shard of the running engine, out of memory), an error is logged and it is
    /// destroyed here, as the last resort.
    ~foreign_ptr() { destroy(); }

    /// The object, or nullptr (also operator->, operator* and operator bool).
    /// Errors: none. Shard: any; the object is the owner's (see the class comment).
    element_type* get() const noexcept {
        if constexpr (std::is_pointer_v<P>) {
            return ptr_;
        } else {
            return ptr_.get();
        }
    }
    element_type* operator->() const noexcept { return get(); }
    element_type& operator*() const noexcept { return *get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(ptr_); }

    /// The shard that made the pointer, where it is destroyed. Errors: none. Shard: any.
    shard_id get_owner_shard() const noexcept { return owner_; }

    /// A new foreign_ptr to the same object (shared_ptr only): the shared_ptr is copied on the
    /// owner shard, so the new reference is made and (later) dropped there. An empty one gives
    /// an empty one. This foreign_ptr must live until the await ends.
    /// Errors: as submit_to (std::out_of_range if the owner is no shard of this engine).
    /// Cancellation: as submit_to; a copy made although the await was cancelled is released
    /// on the owner (the cancel is re-armed, as submit_to does).
    /// Shard: await on any shard's loop thread, inside a task.
    coro<foreign_ptr> copy() const requires detail::is_shared_ptr<P>::value {
        if (!ptr_) {
            co_return foreign_ptr(owner_, P());
        }
        const P* source = &ptr_;
        auto copy_there = [source] { return foreign_ptr(P(*source)); };
        co_return co_await submit_to(owner_, copy_there);
    }

    /// Gives the pointer back and leaves this empty: the caller now decides where it dies.
    /// Errors: none. Shard: any.
    P release() noexcept {
        P p = std::move(ptr_);
        ptr_ = P();
        return p;
    }

    /// Releases what this held (sent home, as the destructor does) and takes p, made on this
    /// shard (the new owner); reset() leaves it empty.
    /// Errors: none (see the destructor).
    void reset(P p = P()) noexcept {
        destroy();
        ptr_ = std::move(p);
        owner_ = this_shard_id();
    }

private:
    foreign_ptr(shard_id owner, P p) noexcept
        : ptr_(std::move(p))
        , owner_(owner) {}

    void destroy() noexcept {
        if constexpr (std::is_pointer_v<P>) {
            ptr_ = nullptr; // owns nothing
        } else {
            if (!ptr_) {
                return;
            }
            if (owner_ == this_shard_id()) {
                P dying = std::move(ptr_);
                ptr_ = P();
                return;
            }
            send_home();
        }
    }

    // The lambda travels to the owner and back; only the pointer it holds must die there, so
    // the call destroys it, and the lambda comes home empty. If the call cannot be sent,
    // submit_to destroys the lambda, and the pointer with it, here.
    void send_home() noexcept {
        try {
            (void)submit_to(owner_, [p = std::move(ptr_)]() mutable { p = P(); });
        } catch (const std::exception& e) {
            report_local_destroy(e.what());
        } catch (...) {
            report_local_destroy("unknown error");
        }
        ptr_ = P();
    }

    void report_local_destroy(const char* why) noexcept {
        try {
            log(log_level::error, "foreign_ptr: could not send the pointer home to shard " +
                                          std::to_string(owner_) + " (" + why +
                                          "); destroyed on shard " +
                                          std::to_string(this_shard_id()) + " instead");
        } catch (...) {
            log(log_level::error, "foreign_ptr: destroyed away from its owner shard");
        }
    }

    P ptr_;
    shard_id owner_;
};

/// Wraps p in a foreign_ptr owned by this shard.
/// Errors: none. Shard: any shard's loop thread (or a plain loop's: shard 0).
template <class P>
foreign_ptr<std::decay_t<P>> make_foreign(P&& p) {
    return foreign_ptr<std::decay_t<P>>(std::forward<P>(p));
}

} // namespace coreloop
