// Context variable storage: copy-on-write maps shared by contexts.
#include <coreloop/context.hpp>

#include <algorithm>

namespace coreloop::detail {

const context_vars::value_ptr* context_vars::find(const void* key) const noexcept {
    for (const auto& [k, v] : entries_) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

void context_vars::put(const void* key, value_ptr value) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [key](const auto& entry) { return entry.first == key; });
    if (it == entries_.end()) {
        if (value != nullptr) {
            entries_.emplace_back(key, std::move(value));
        }
    } else if (value != nullptr) {
        it->second = std::move(value);
    } else {
        entries_.erase(it);
    }
}

context_vars* context_vars::clone() const {
    auto* copy = new context_vars();
    copy->entries_ = entries_;
    return copy;
}

void context_state::put(const void* key, context_vars::value_ptr value) {
    if (vars_ == nullptr) {
        vars_ = new context_vars();
    } else if (vars_->shared()) {
        context_vars* own = vars_->clone();
        vars_->release();
        vars_ = own;
    }
    vars_->put(key, std::move(value));
}

} // namespace coreloop::detail

namespace coreloop {

context copy_context() {
    detail::context_state* current = detail::current_context_slot();
    return context(new detail::context_state(current != nullptr ? current->vars() : nullptr));
}

} // namespace coreloop
