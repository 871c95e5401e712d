// sharded<Service>: one instance of a service per shard, each built, used and destroyed on its
// own shard (Seastar's sharded<Service> and peering_sharded_service).
#pragma once

#include <concepts>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <coreloop/broadcast.hpp>
#include <coreloop/coro.hpp>
#include <coreloop/detail/frame_allocator.hpp> // CORELOOP_ASAN
#include <coreloop/log.hpp>
#include <coreloop/shard.hpp>
#include <coreloop/submit_to.hpp>

#ifdef CORELOOP_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace coreloop {

template <class Service>
class sharded;

/// A base for services that need their sharded<Service> (to reach their peers on the other
/// shards): derive as `class my_service : public peering_sharded_service<my_service>`.
/// Shard: container() on the instance's own shard, from the end of its constructor (it is set
/// just after the instance is built) until it is destroyed.
template <class Service>
class peering_sharded_service {
public:
    /// The sharded<Service> this instance belongs to.
    /// Errors: std::logic_error when called from the constructor or on an instance made
    /// outside a sharded.
    sharded<Service>& container() const {
        if (container_ == nullptr) {
            throw std::logic_error("peering_sharded_service: not (yet) in a sharded container");
        }
        return *container_;
    }

protected:
    peering_sharded_service() = default;

private:
    friend class sharded<Service>;
    sharded<Service>* container_ = nullptr;
};

namespace detail {

/// A service with an asynchronous stop, which sharded::stop awaits on every shard.
template <class Service>
concept has_async_stop = requires(Service& s) {
    { s.stop() } -> std::same_as<coro<void>>;
};

} // namespace detail

/// One Service per shard (Seastar's sharded<Service>). start() builds an instance on every
/// shard, on that shard; stop() awaits each instance's `coro<void> stop()` (if Service has
/// one), then destroys each on its own shard. Service need not be movable or copyable.
///
/// The sharded object lives on the shard that started it (its owner); start and stop run
/// there. Each shard's instance sits in a slot of its own, written only on that shard.
/// Destroying a started sharded without stop() is a bug: the instances are leaked (never
/// destroyed on the wrong shard) and an error is logged.
/// Shard: start, stop and destruction on the owner's loop thread, inside a task; local(),
/// invoke_on, invoke_on_all and map_reduce on any shard's, between start and stop.
template <class Service>
class sharded {
public:
    sharded() noexcept = default;
    sharded(const sharded&) = delete;
    sharded& operator=(const sharded&) = delete;
    ~sharded() { leak_if_started(); }

    /// Builds Service(args...) on every shard, on that shard, from a copy of args made here
    /// (each shard's copy is moved into its constructor, and destroyed back on this shard).
    /// Errors: std::logic_error if already started; a constructor's exception (the first in
    /// shard order): the instances already built are stopped and destroyed before it is
    /// rethrown, and the sharded is not started.
    /// Cancellation: constructions not yet begun never begin; the built ones are stopped and
    /// destroyed as on an error, then cancelled_error is thrown.
    /// Shard: the calling shard becomes the owner.
    template <class... Args>
    coro<void> start(Args... args) {
        begin_start(false);
        // A named lambda: GCC 12 destroys a lambda that captures by value twice when the
        // lambda expression is written inside a co_await expression.
        auto build = [this, ... a = std::move(args)]() mutable { build_here(std::move(a)...); };
        std::exception_ptr error;
        try {
            co_await coreloop::invoke_on_all(std::move(build));
        } catch (...) {
            error = std::current_exception();
        }
        co_await finish_start(error);
    }

    /// start() with a single instance, on shard 0 (Seastar's start_single): local() works on
    /// shard 0 only, and invoke_on_all and map_reduce reach that one instance.
    /// Errors, Cancellation, Shard: as start().
    template <class... Args>
    coro<void> start_single(Args... args) {
        begin_start(true);
        auto build = [this, ... a = std::move(args)]() mutable { build_here(std::move(a)...); };
        std::exception_ptr error;
        try {
            co_await submit_to(0, std::move(build));
        } catch (...) {
            error = std::current_exception();
        }
        co_await finish_start(error);
    }

    /// Stops the instances: awaits every instance's stop() concurrently (if Service has a
    /// `coro<void> stop()`), each on its shard, then destroys every instance on its shard. A
    /// sharded never started, or stopped already, is left as it is.
    /// Errors: std::logic_error away from the owner shard; the first exception (in shard
    /// order) of the instances' stop(), rethrown once all are destroyed all the same.
    /// Cancellation: the stop() coroutines still running are cancelled (they see
    /// cancelled_error) and the instances destroyed all the same; then cancelled_error. A
    /// second cancel during the destruction can leave instances whose destruction had not
    /// begun: the sharded then stays started, and a new stop() destroys them (it does not call
    /// their stop() again).
    coro<void> stop() {
        if (!started_) {
            co_return;
        }
        if (this_shard_id() != owner_) {
            throw std::logic_error("sharded::stop() away from the shard that started it");
        }
        std::exception_ptr error;
        if constexpr (detail::has_async_stop<Service>) {
            try {
                co_await on_instances([this]() -> coro<void> { return stop_here(); });
            } catch (...) {
                error = std::current_exception();
            }
        }
        try {
            co_await on_instances([this] { slots_[this_shard_id()].service.reset(); });
            started_ = false;
            slots_.reset();
            slot_count_ = 0;
        } catch (...) {
            error = error ? error : std::current_exception();
        }
        if (error) {
            std::rethrow_exception(error);
        }
    }

    /// This shard's instance.
    /// Errors: std::logic_error if this shard has none (not started, stopped, or start_single
    /// away from shard 0).
    Service& local() const {
        const shard_id me = this_shard_id();
        if (me >= slot_count_ || slots_[me].service == nullptr) {
            throw std::logic_error("sharded::local(): no instance on shard " + std::to_string(me) +
                                   " (not started?)");
        }
        return *slots_[me].service;
    }

    /// Whether this shard has an instance (local() would give it).
    bool local_is_initialized() const noexcept {
        const shard_id me = this_shard_id();
        return me < slot_count_ && slots_[me].service != nullptr;
    }

    /// Calls fn(instance) on shard `shard` with that shard's instance and gives its result;
    /// fn may return a plain value or a coro<T>, as with submit_to (whose submission this is:
    /// the call is sent now).
    /// Errors: std::logic_error (from the target) if `shard` has no instance; fn's exception;
    /// std::out_of_range for a bad shard.
    /// Cancellation: as submit_to.
    template <class Fn>
    auto invoke_on(shard_id shard, Fn fn) {
        return submit_to(shard, [this, f = std::move(fn)]() mutable { return f(local()); });
    }

    /// Calls a copy of fn(instance) on every shard with its instance (as coreloop::
    /// invoke_on_all: sent at once, results discarded).
    /// Errors, Cancellation: as coreloop::invoke_on_all.
    template <class Fn>
    coro<void> invoke_on_all(Fn fn) {
        return on_instances([this, f = std::move(fn)]() mutable { return f(local()); });
    }

    /// coreloop::map_reduce over the instances: mapper(instance) on every shard, the results
    /// folded here in shard order with reducer(acc, value) from `initial`.
    /// Errors, Cancellation: as coreloop::map_reduce.
    template <class Mapper, class Initial, class Reducer>
    coro<Initial> map_reduce(Mapper mapper, Initial initial, Reducer reducer) {
        auto calls = send([this, m = std::move(mapper)]() mutable { return m(local()); });
        return detail::reduce_all(std::move(calls), std::move(initial), std::move(reducer));
    }

private:
    struct slot {
        std::unique_ptr<Service> service;
        bool stopped = false; // its stop() is over (however it ended)
    };

    void begin_start(bool single) {
        if (started_) {
            throw std::logic_error("sharded::start(): already started");
        }
        slot_count_ = shard_count();
        slots_ = std::make_unique<slot[]>(slot_count_);
        owner_ = this_shard_id();
        single_ = single;
        started_ = true;
    }

    // On a failed start, stops and destroys what was built, then rethrows.
    coro<void> finish_start(std::exception_ptr error) {
        if (!error) {
            co_return;
        }
        try {
            co_await stop();
        } catch (...) {
            log(log_level::error, "sharded::start(): stopping after a failed start failed too");
        }
        std::rethrow_exception(error);
    }

    template <class... A>
    void build_here(A&&... args) {
        auto service = std::make_unique<Service>(std::forward<A>(args)...);
        if constexpr (std::is_base_of_v<peering_sharded_service<Service>, Service>) {
            static_cast<peering_sharded_service<Service>&>(*service).container_ = this;
        }
        slots_[this_shard_id()].service = std::move(service);
    }

    coro<void> stop_here() {
        slot& s = slots_[this_shard_id()];
        if (s.service == nullptr || s.stopped) {
            co_return;
        }
        std::exception_ptr error;
        try {
            co_await s.service->stop();
        } catch (...) {
            error = std::current_exception();
        }
        s.stopped = true;
        if (error) {
            std::rethrow_exception(error);
        }
    }

    // Sends fn to every shard with an instance.
    template <class Fn>
    auto send(const Fn& fn) {
        if (!single_) {
            return detail::send_to_shards(fn, detail::no_shard);
        }
        std::vector<submission<detail::broadcast_value_t<Fn>>> calls;
        calls.push_back(submit_to(0, fn));
        return calls;
    }

    template <class Fn>
    coro<void> on_instances(Fn fn) {
        return detail::await_all(send(fn));
    }

    void leak_if_started() noexcept {
        if (!started_) {
            return;
        }
        // The instances belong to their shards and some may still be in use there: leaking
        // them is the only safe end. The array is released untouched (no slot is read here).
        slot* leaked = slots_.release();
#ifdef CORELOOP_ASAN
        __lsan_ignore_object(leaked); // an intended leak, and what it points to
#endif
        static_cast<void>(leaked);
        log(log_level::error,
            "sharded<Service> destroyed while started (stop() was not awaited): its instances "
            "are leaked");
    }

    std::unique_ptr<slot[]> slots_;
    unsigned slot_count_ = 0;
    shard_id owner_ = 0;
    bool single_ = false;
    bool started_ = false;
};

} // namespace coreloop
