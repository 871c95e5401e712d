// Construction, split and the kind rule (exception_group or base_exception_group) of groups.
#include <coreloop/exception_group.hpp>

#include <stdexcept>

namespace coreloop {

namespace {

std::string describe(const std::string& message, std::size_t n) {
    return message + " (" + std::to_string(n) + (n == 1 ? " sub-exception)" : " sub-exceptions)");
}

bool is_std_exception(const std::exception_ptr& e) noexcept {
    return detail::leaf_is<std::exception>(e);
}

// The nested group `e` holds, or nullptr.
const base_exception_group* as_group(const std::exception_ptr& e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const base_exception_group& g) {
        return &g; // the exception_ptr owns the object: it outlives this call
    } catch (...) {
        return nullptr;
    }
}

// Python's derive(): a part of an exception_group is an exception_group; a part of a
// base_exception_group is whatever BaseExceptionGroup(message, excs) would make.
std::exception_ptr derive(const base_exception_group& g, std::vector<std::exception_ptr> e) {
    if (dynamic_cast<const exception_group*>(&g) != nullptr) {
        return std::make_exception_ptr(exception_group(g.message(), std::move(e)));
    }
    return make_exception_group(g.message(), std::move(e));
}

} // namespace

namespace detail {

void collect_leaves(const std::vector<std::exception_ptr>& exceptions,
                    std::vector<std::exception_ptr>& out) {
    for (const auto& e : exceptions) {
        if (const base_exception_group* g = as_group(e)) {
            collect_leaves(g->exceptions(), out);
        } else {
            out.push_back(e);
        }
    }
}

} // namespace detail

std::exception_ptr make_exception_group(std::string message,
                                        std::vector<std::exception_ptr> exceptions) {
    bool all_errors = true;
    for (const auto& e : exceptions) {
        all_errors = all_errors && e != nullptr && is_std_exception(e);
    }
    if (all_errors && !exceptions.empty()) {
        return std::make_exception_ptr(exception_group(std::move(message), std::move(exceptions)));
    }
    return std::make_exception_ptr(base_exception_group(std::move(message), std::move(exceptions)));
}

base_exception_group::base_exception_group(std::string message,
                                           std::vector<std::exception_ptr> exceptions)
    : base_exception(std::move(message))
    , exceptions_(std::move(exceptions)) {
    if (exceptions_.empty()) {
        throw std::invalid_argument("an exception group needs at least one exception");
    }
    for (const auto& e : exceptions_) {
        if (e == nullptr) {
            throw std::invalid_argument("an exception group cannot hold a null exception");
        }
    }
    description_ = describe(base_exception::message(), exceptions_.size());
}

void base_exception_group::rethrow() const {
    std::rethrow_exception(make_exception_group(message(), exceptions_));
}

std::pair<std::vector<std::exception_ptr>, std::vector<std::exception_ptr>>
base_exception_group::split_with(detail::group_matcher m) const {
    std::vector<std::exception_ptr> match;
    std::vector<std::exception_ptr> rest;
    if (m.group(*this)) {
        return {exceptions_, rest};
    }
    for (const auto& e : exceptions_) {
        if (const base_exception_group* g = as_group(e)) {
            if (m.group(*g)) {
                match.push_back(e);
                continue;
            }
            auto [g_match, g_rest] = g->split_with(m);
            if (g_rest.empty()) {
                match.push_back(e); // wholly matching: keep the original object
            } else if (g_match.empty()) {
                rest.push_back(e);
            } else {
                match.push_back(derive(*g, std::move(g_match)));
                rest.push_back(derive(*g, std::move(g_rest)));
            }
        } else if (m.leaf(e)) {
            match.push_back(e);
        } else {
            rest.push_back(e);
        }
    }
    return {std::move(match), std::move(rest)};
}

exception_group::exception_group(std::string message, std::vector<std::exception_ptr> exceptions)
    : base_exception_group(std::move(message), std::move(exceptions)) {
    for (const auto& e : this->exceptions()) {
        if (!is_std_exception(e)) {
            throw std::invalid_argument("an exception_group holds only std::exception errors (use "
                                        "base_exception_group for base_exceptions)");
        }
    }
}

} // namespace coreloop
