// base_exception_group and exception_group (Python's BaseExceptionGroup and ExceptionGroup):
// several exceptions raised together, as task_group raises its children's failures, with
// split/subgroup and except_star<E>() standing in for `except*`.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/exceptions.hpp>

namespace coreloop {

class base_exception_group;

namespace detail {

/// How split() and subgroup() test a nested group as a whole, and a leaf.
struct group_matcher {
    bool (*group)(const base_exception_group& g) noexcept;
    bool (*leaf)(const std::exception_ptr& e) noexcept;
};

template <class E>
bool leaf_is(const std::exception_ptr& e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

template <class E>
bool group_is(const base_exception_group& g) noexcept;

inline bool group_never(const base_exception_group&) noexcept {
    return false;
}

/// Appends the leaves of `exceptions` to `out` in order, nested groups flattened.
void collect_leaves(const std::vector<std::exception_ptr>& exceptions,
                    std::vector<std::exception_ptr>& out);

} // namespace detail

/// Builds a group the way Python's BaseExceptionGroup(message, excs) does: an exception_group
/// if every exception is a std::exception (nested exception_groups included), otherwise a
/// base_exception_group.
/// Errors: std::invalid_argument if `exceptions` is empty or holds a null exception_ptr.
std::exception_ptr make_exception_group(std::string message,
                                        std::vector<std::exception_ptr> exceptions);

/// Several exceptions raised together (Python's BaseExceptionGroup). A base_exception, so
/// `catch (std::exception&)` does not catch it; exception_group (all leaves std::exception)
/// is also a std::exception. Nested groups are kept as they are; split() and subgroup() look
/// through them and keep their structure.
/// Errors: std::invalid_argument from the constructor if `exceptions` is empty or holds null.
/// Shard: a plain value; any thread.
class base_exception_group : public base_exception {
public:
    base_exception_group(std::string message, std::vector<std::exception_ptr> exceptions);

    /// The exceptions, in the order given (nested groups stay groups).
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }
    /// "message (N sub-exceptions)", as Python's str(group).
    const char* what() const noexcept override { return description_.c_str(); }

    /// (the part matching E, the rest), each nullopt when empty. The whole group matches if
    /// it is an E itself; nested groups are split recursively and keep their messages.
    template <class E>
        requires std::is_class_v<E>
                std::pair<std::optional<base_exception_group>, std::optional<base_exception_group>>
                split()
    const {
        auto [match, rest] = split_with({&detail::group_is<E>, &detail::leaf_is<E>});
        return {make_part(std::move(match)), make_part(std::move(rest))};
    }

    /// The part matching E (split<E>().first).
    template <class E>
        requires std::is_class_v<E> std::optional<base_exception_group> subgroup()
    const { return split<E>().first; }

    /// Throws this group as the type make_exception_group would choose for its exceptions
    /// (so a part returned by split() is raised as an exception_group when it can be one).
    [[noreturn]] void rethrow() const;

    /// For split() and except_star(): the exceptions matching and not matching `m`, a level of
    /// nesting each (nested groups become new groups of their own kind and message).
    std::pair<std::vector<std::exception_ptr>, std::vector<std::exception_ptr>>
    split_with(detail::group_matcher m) const;

private:
    std::optional<base_exception_group> make_part(std::vector<std::exception_ptr> e) const {
        if (e.empty()) {
            return std::nullopt;
        }
        return base_exception_group(message(), std::move(e));
    }

    std::vector<std::exception_ptr> exceptions_;
    std::string description_;
};

/// A group of ordinary errors (Python's ExceptionGroup): catchable as std::exception, as
/// base_exception_group and as base_exception. What task_group throws for its children.
/// Errors: std::invalid_argument from the constructor if `exceptions` is empty, holds null,
/// or holds an exception that is not a std::exception (Python's "Cannot nest BaseExceptions").
class exception_group : public base_exception_group, public std::exception {
public:
    exception_group(std::string message, std::vector<std::exception_ptr> exceptions);

    const char* what() const noexcept override { return base_exception_group::what(); }

    /// As base_exception_group::split, typed as exception_group (a part of a group of errors
    /// is a group of errors).
    template <class E>
        requires std::is_class_v<E>
                std::pair<std::optional<exception_group>, std::optional<exception_group>> split()
    const {
        auto [match, rest] = split_with({&detail::group_is<E>, &detail::leaf_is<E>});
        return {make_part(std::move(match)), make_part(std::move(rest))};
    }

    template <class E>
        requires std::is_class_v<E> std::optional<exception_group> subgroup()
    const { return split<E>().first; }

private:
    std::optional<exception_group> make_part(std::vector<std::exception_ptr> e) const {
        if (e.empty()) {
            return std::nullopt;
        }
        return exception_group(message(), std::move(e));
    }
};

template <class E>
bool detail::group_is(const base_exception_group& g) noexcept {
    return dynamic_cast<const E*>(&g) != nullptr;
}

/// Python's `except* E`, one leaf at a time (SPEC §10's handle<E>(g, fn); named
/// except_star because coreloop::handle is the call_soon handle class): calls fn(E&) for each leaf
/// of `group` that is an E (nested groups are looked through), then rethrows the other leaves as a
/// group with the original structure and message. Groups themselves are never passed to fn. Errors:
/// exceptions thrown by fn are raised together with the unhandled rest in a new group (message ""),
/// as an exception raised in an except* clause is.
template <class E, class F>
    requires std::is_class_v<E>
void except_star(const base_exception_group& group, F&& fn) {
    auto [match, rest] = group.split_with({&detail::group_never, &detail::leaf_is<E>});
    std::vector<std::exception_ptr> raised;
    if (!match.empty()) {
        std::vector<std::exception_ptr> leaves;
        detail::collect_leaves(match, leaves);
        for (const auto& leaf : leaves) {
            try {
                std::rethrow_exception(leaf);
            } catch (E& e) {
                try {
                    fn(e);
                } catch (...) {
                    raised.push_back(std::current_exception());
                }
            }
        }
    }
    if (raised.empty()) {
        if (!rest.empty()) {
            base_exception_group(group.message(), std::move(rest)).rethrow();
        }
        return;
    }
    if (!rest.empty()) {
        raised.push_back(make_exception_group(group.message(), std::move(rest)));
    }
    std::rethrow_exception(make_exception_group({}, std::move(raised)));
}

/// except_star<E> for any caught exception (`catch (...) {
/// except_star<E>(std::current_exception(), fn); }`): a group is handled as above; a bare E is
/// passed to fn; anything else is rethrown unchanged.
template <class E, class F>
    requires std::is_class_v<E>
void except_star(const std::exception_ptr& error, F&& fn) {
    try {
        std::rethrow_exception(error);
    } catch (const base_exception_group& g) {
        except_star<E>(g, std::forward<F>(fn));
    } catch (E& e) {
        fn(e);
    }
}

} // namespace coreloop
