// The storage behind context and context_var: a mutable context pointing at an immutable,
// shared map of values (copied on write), so a task snapshots its creator's context in O(1).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <coreloop/detail/frame_allocator.hpp>

namespace coreloop::detail {

/// An immutable set of (variable, value) pairs, shared by the contexts that copied it.
/// Plain reference count: contexts stay on their shard.
class context_vars : public pooled {
public:
    using value_ptr = std::shared_ptr<const void>;

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) {
            delete this;
        }
    }
    bool shared() const noexcept { return refs_ > 1; }

    /// The value of `key`, or nullptr.
    const value_ptr* find(const void* key) const noexcept;
    /// Sets (or, with a null value, removes) key; only on an unshared map.
    void put(const void* key, value_ptr value);
    context_vars* clone() const;
    /// Every (variable, value) pair, in the order they were first set.
    const std::vector<std::pair<const void*, value_ptr>>& entries() const noexcept {
        return entries_;
    }

private:
    std::vector<std::pair<const void*, value_ptr>> entries_;
    std::uint32_t refs_ = 1;
};

/// A context (Python's contextvars.Context): which value each variable has in it. Tasks and
/// context objects own one; the running code's is the current one.
class context_state : public pooled {
public:
    context_state() noexcept = default;
    /// A copy sharing `vars` (nullptr: empty).
    explicit context_state(context_vars* vars) noexcept
        : vars_(vars) {
        if (vars_ != nullptr) {
            vars_->add_ref();
        }
    }
    context_state(const context_state&) = delete;
    context_state& operator=(const context_state&) = delete;
    ~context_state() {
        if (vars_ != nullptr) {
            vars_->release();
        }
    }

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) {
            delete this;
        }
    }

    const context_vars::value_ptr* find(const void* key) const noexcept {
        return vars_ != nullptr ? vars_->find(key) : nullptr;
    }
    /// Sets key's value in this context (copying the map first if another context shares it).
    void put(const void* key, context_vars::value_ptr value);
    context_vars* vars() const noexcept { return vars_; }

private:
    context_vars* vars_ = nullptr;
    std::uint32_t refs_ = 1;
};

/// Where the current context lives: a task's slot while it runs, a context object's during
/// context::run, the thread's own otherwise. A null slot is an empty context, made on demand.
inline constinit thread_local context_state* tls_thread_context = nullptr;
inline constinit thread_local context_state** tls_context_slot = nullptr;

inline context_state*& current_context_slot() noexcept {
    return tls_context_slot != nullptr ? *tls_context_slot : tls_thread_context;
}

/// A new context with the current one's values (nullptr if the current one is empty: a task
/// in a program that sets no variable costs nothing).
inline context_state* snapshot_context() {
    context_state* current = current_context_slot();
    if (current == nullptr || current->vars() == nullptr) {
        return nullptr;
    }
    return new context_state(current->vars());
}

/// Makes *slot the current context for a scope.
class context_scope {
public:
    explicit context_scope(context_state** slot) noexcept
        : outer_(std::exchange(tls_context_slot, slot)) {}
    context_scope(const context_scope&) = delete;
    context_scope& operator=(const context_scope&) = delete;
    ~context_scope() { tls_context_slot = outer_; }

private:
    context_state** outer_;
};

} // namespace coreloop::detail
