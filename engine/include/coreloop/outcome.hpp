// outcome<T>: a value or an exception, for gather_settled and exception-free hot paths.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace coreloop {

/// The result of an operation: a value (std::monostate for void) or the exception it threw.
template <class T>
class outcome {
public:
    using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

    outcome(value_type value)
        : data_(std::in_place_index<0>, std::move(value)) {} // NOLINT
    outcome(std::exception_ptr error)
        : data_(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool has_value() const noexcept { return data_.index() == 0; }
    bool has_exception() const noexcept { return data_.index() == 1; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; rethrows the exception if there is one.
    value_type& value() & {
        rethrow_if_exception();
        return std::get<0>(data_);
    }
    value_type&& value() && {
        rethrow_if_exception();
        return std::get<0>(std::move(data_));
    }
    /// The exception, or nullptr.
    std::exception_ptr exception() const noexcept {
        return has_exception() ? std::get<1>(data_) : nullptr;
    }

private:
    void rethrow_if_exception() const {
        if (has_exception()) {
            std::rethrow_exception(std::get<1>(data_));
        }
    }

    std::variant<value_type, std::exception_ptr> data_;
};

} // namespace coreloop
