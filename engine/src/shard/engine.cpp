// The engine: shard threads, their loops and rings, and the order in which they start and end.
#include "engine_state.hpp"

#include <pthread.h>
#include <sched.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "shard_signals.hpp"

namespace coreloop {

namespace detail {

engine_state::engine_state(engine_options opts)
    : options(std::move(opts))
    , plan(options)
    , mesh(plan.shards(), options.ring_capacity)
    , shards(plan.shards())
    , loops_made_(plan.shards(), loops_made_completion{this})
    , loops_left_(plan.shards()) {}

void loops_made_completion::operator()() noexcept {
    engine_state& e = *engine;
    std::vector<inbox*> peers;
    bool all_made = true;
    for (shard_slot& s : e.shards) {
        all_made = all_made && s.setup_error == nullptr;
        peers.push_back(s.loop ? &s.loop->inbox() : nullptr);
    }
    if (!all_made) {
        return; // loops_ready stays false: no shard runs
    }
    for (shard_slot& s : e.shards) {
        s.links->set_peers(peers);
    }
    // Before any lifecycle reads `stopping` (see request_stop).
    e.loops_ready.store(true);
}

bool engine_state::setup_shard(shard_id id) noexcept {
    shard_slot& s = shards[id];
    try {
        s.loop = std::make_unique<event_loop>(loop_options{.io_backend = options.io_backend,
                                                           .debug = options.debug,
                                                           .virtual_time = false,
                                                           .idle_poll = options.idle_poll});
        s.links = std::make_unique<shard_links>(mesh, id);
        s.loop->core().links = s.links.get();
        s.stop = s.loop->create_future<void>();
        s.all_idle = s.loop->create_future<void>();
        return true;
    } catch (...) {
        s.setup_error = std::current_exception();
        return false;
    }
}

void engine_state::run_shard(shard_id id) noexcept {
    tls_shard = {id, plan.shards()};
    tls_engine = this;
    if (id != 0) {
        const std::string name = "coreloop-s" + std::to_string(id);
        pthread_setname_np(pthread_self(), name.c_str());
    }
    plan.pin_current_thread(id);
    setup_shard(id);
    loops_made_.arrive_and_wait();
    std::optional<signal_reader> signals; // outlives the loop's close
    if (loops_ready.load()) {
        shard_slot& s = shards[id];
        if (id == 0 && options.handle_signals) {
            try {
                signals.emplace(*this, *s.loop);
            } catch (...) {
                record_error(std::current_exception());
                request_stop();
            }
        }
        // The lifecycle catches what it can; only an error from the loop itself lands here.
        try {
            s.loop->run_until_complete(shard_lifecycle(*this, id));
        } catch (...) {
            record_error(std::current_exception());
            request_stop();
        }
    }
    loops_left_.arrive_and_wait();
    close_in_turn(id);
    tls_engine = nullptr;
    tls_shard = {};
}

// Closes the loops one at a time, from the last shard down to shard 0.
void engine_state::close_in_turn(shard_id id) noexcept {
    const unsigned n = plan.shards();
    const unsigned my_turn = n - 1 - id;
    for (unsigned turn = close_turn_.load(); turn != my_turn; turn = close_turn_.load()) {
        close_turn_.wait(turn);
    }
    shard_slot& s = shards[id];
    if (s.loop) {
        s.main = {}; // the handle must go before the loop its task belongs to
        s.stop = {};
        s.all_idle = {};
        s.loop->close();
        s.loop->core().links = nullptr;
    }
    close_turn_.fetch_add(1);
    close_turn_.notify_all();
}

void engine_state::request_stop() noexcept {
    if (stopping.exchange(true)) {
        return;
    }
    // stopping is stored before loops_ready is read; loops_ready is stored before any
    // lifecycle reads stopping. So either the stop is posted here, or every lifecycle sees
    // the flag when it starts.
    if (!loops_ready.load()) {
        return;
    }
    for (shard_slot& s : shards) {
        try {
            s.loop->call_soon_threadsafe([&s] {
                if (s.main && !s.main.done()) {
                    s.main.cancel();
                }
                if (!s.stop.done()) {
                    s.stop.set_result();
                }
            });
        } catch (...) {
            // That loop is closed already: it has stopped.
        }
    }
}

void engine_state::on_signal(int signo) noexcept {
    int none = 0;
    stop_signal.compare_exchange_strong(none, signo);
    request_stop();
}

void engine_state::record_error(std::exception_ptr e) {
    std::lock_guard lock(error_mutex_);
    if (first_error_ == nullptr) {
        first_error_ = std::move(e);
    }
}

std::exception_ptr engine_state::outcome_error() const {
    for (const shard_slot& s : shards) {
        if (s.setup_error != nullptr) {
            return s.setup_error;
        }
    }
    std::lock_guard lock(error_mutex_);
    return first_error_;
}

bool shard_is_stopping() noexcept {
    return tls_engine != nullptr && tls_engine->stopping.load(std::memory_order_relaxed);
}

// Restores the calling thread's CPU affinity and shard identity when run() ends.
class caller_state {
public:
    caller_state() noexcept {
        CPU_ZERO(&affinity_);
        saved_ = sched_getaffinity(0, sizeof affinity_, &affinity_) == 0;
    }
    caller_state(const caller_state&) = delete;
    caller_state& operator=(const caller_state&) = delete;
    ~caller_state() {
        if (saved_) {
            sched_setaffinity(0, sizeof affinity_, &affinity_);
        }
    }

private:
    cpu_set_t affinity_;
    bool saved_ = false;
};

} // namespace detail

engine::engine(engine_options options)
    : state_(std::make_unique<detail::engine_state>(std::move(options))) {}

engine::~engine() = default;

unsigned engine::shard_count() const noexcept {
    return state_->plan.shards();
}

int engine::cpu_of(shard_id shard) const {
    if (shard >= shard_count()) {
        throw std::out_of_range("engine: no shard " + std::to_string(shard));
    }
    return state_->plan.cpu_of(shard);
}

event_loop& engine::loop(shard_id shard) {
    if (shard >= shard_count()) {
        throw std::out_of_range("engine: no shard " + std::to_string(shard));
    }
    if (!state_->loops_ready.load()) {
        throw std::runtime_error("engine: not running");
    }
    return *state_->shards[shard].loop;
}

void engine::request_stop() noexcept {
    state_->request_stop();
}

void engine::run_mains(main_factory main, bool on_every_shard) {
    detail::engine_state& e = *state_;
    if (e.ran.exchange(true)) {
        throw std::runtime_error("engine: run() was called already");
    }
    if (detail::tls_running_loop != nullptr || detail::tls_engine != nullptr) {
        throw std::runtime_error("engine: cannot run inside a running loop");
    }
    e.prepare(std::move(main), on_every_shard);
    {
        detail::caller_state caller;
        detail::blocked_stop_signals blocked(e.options.handle_signals);
        for (shard_id id = 1; id < shard_count(); ++id) {
            e.shards[id].thread = std::thread([&e, id] { e.run_shard(id); });
        }
        e.run_shard(0);
        for (shard_id id = 1; id < shard_count(); ++id) {
            e.shards[id].thread.join();
        }
    }
    e.stopping.store(true); // request_stop() after the run does nothing
    if (std::exception_ptr error = e.outcome_error()) {
        std::rethrow_exception(error);
    }
}

} // namespace coreloop
