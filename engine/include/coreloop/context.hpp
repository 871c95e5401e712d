// context_var<T> and context: Python's contextvars for tasks. Each task runs in a copy of the
// context its creator had, so a value set in one task is invisible to the others.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <coreloop/detail/context_state.hpp>

namespace coreloop {

/// A set of context variable values (contextvars.Context). Copies refer to the same context.
/// Shard: use on the shard that made it.
class context {
public:
    /// An empty context.
    context()
        : state_(new detail::context_state()) {}
    explicit context(detail::context_state* adopted) noexcept
        : state_(adopted) {}
    context(const context& other) noexcept
        : state_(other.state_) {
        state_->add_ref();
    }
    context(context&& other) noexcept
        : state_(std::exchange(other.state_, nullptr)) {}
    context& operator=(context other) noexcept {
        std::swap(state_, other.state_);
        return *this;
    }
    ~context() {
        if (state_ != nullptr) {
            state_->release();
        }
    }

    /// Calls fn() with this context current; values fn sets stay in this context.
    template <class F>
    decltype(auto) run(F&& fn) {
        detail::context_scope scope(&state_);
        return std::forward<F>(fn)();
    }

    detail::context_state* state() const noexcept { return state_; }

private:
    detail::context_state* state_;
};

/// A copy of the current context (contextvars.copy_context).
context copy_context();

/// What context_var::set returns, to undo that set with reset().
template <class T>
class context_token {
public:
    context_token(const void* var,
                  detail::context_state* where,
                  detail::context_vars::value_ptr old) noexcept
        : var_(var)
        , where_(where)
        , old_(std::move(old)) {}

private:
    template <class>
    friend class context_var;
    const void* var_;
    detail::context_state* where_;
    detail::context_vars::value_ptr old_;
    bool used_ = false;
};

/// A variable with a value per context (contextvars.ContextVar). Declare it once (usually at
/// namespace scope); each task sees the value of its own context.
/// Errors: get() without a value or default throws std::out_of_range (Python's LookupError).
template <class T>
class context_var {
public:
    explicit context_var(std::string name, std::optional<T> default_value = std::nullopt)
        : name_(std::move(name))
        , default_(std::move(default_value)) {}
    context_var(const context_var&) = delete;
    context_var& operator=(const context_var&) = delete;

    const std::string& name() const noexcept { return name_; }

    /// The value in the current context, else the variable's default.
    T get() const {
        if (const T* v = find()) {
            return *v;
        }
        if (default_) {
            return *default_;
        }
        throw std::out_of_range("context_var " + name_ + " has no value");
    }
    /// The value in the current context, else `fallback`.
    T get(T fallback) const {
        const T* v = find();
        return v != nullptr ? *v : std::move(fallback);
    }

    /// Sets the value in the current context; the token undoes it.
    context_token<T> set(T value) {
        detail::context_state*& current = detail::current_context_slot();
        if (current == nullptr) {
            current = new detail::context_state();
        }
        const auto* old = current->find(this);
        context_token<T> token(this, current, old != nullptr ? *old : nullptr);
        current->put(this, std::make_shared<const T>(std::move(value)));
        return token;
    }

    /// Restores the value `token`'s set replaced.
    /// Errors: std::invalid_argument for another variable's token or one made in another
    /// context; std::runtime_error for a token already used.
    void reset(context_token<T>& token) {
        if (token.var_ != this) {
            throw std::invalid_argument("Token was created by a different ContextVar");
        }
        if (token.where_ != detail::current_context_slot()) {
            throw std::invalid_argument("Token was created in a different Context");
        }
        if (token.used_) {
            throw std::runtime_error("Token has already been used once");
        }
        token.used_ = true;
        token.where_->put(this, std::move(token.old_));
    }

private:
    const T* find() const noexcept {
        const detail::context_state* current = detail::current_context_slot();
        if (current == nullptr) {
            return nullptr;
        }
        const auto* v = current->find(this);
        return v != nullptr ? static_cast<const T*>(v->get()) : nullptr;
    }

    std::string name_;
    std::optional<T> default_;
};

} // namespace coreloop
