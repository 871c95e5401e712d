// The runner's lifetime: lazy loop creation, and a shutdown that cancels leftover tasks.
#include <coreloop/runner.hpp>

#include <vector>

#include <coreloop/detail/done_awaiter.hpp>

namespace coreloop {

namespace {

coro<void> wait_all(std::vector<detail::task_core*> tasks) {
    for (detail::task_core* t : tasks) {
        co_await detail::done_awaiter(t->state());
    }
}

} // namespace

event_loop& runner::get_loop() {
    if (closed_) {
        throw std::runtime_error("runner is closed");
    }
    if (!loop_) {
        loop_ = options_.loop_factory ? options_.loop_factory()
                                      : std::make_unique<event_loop>(loop_options{
                                                .io_backend = options_.io_backend,
                                                .debug = options_.debug,
                                        });
        if (options_.debug) {
            loop_->set_debug(true);
        }
    }
    return *loop_;
}

void runner::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    if (!loop_) {
        return;
    }
    detail::loop_core& core = loop_->core();
    std::vector<any_task> pending;
    std::vector<detail::task_core*> cores;
    for (detail::task_core* t = core.tasks; t != nullptr; t = t->next_task) {
        pending.emplace_back(t);
        cores.push_back(t);
    }
    if (!pending.empty()) {
        for (auto& t : pending) {
            t.cancel();
        }
        try {
            loop_->run_until_complete(wait_all(cores));
        } catch (...) {
            loop_->call_exception_handler({"error while cancelling tasks at runner shutdown",
                                           std::current_exception(), std::nullopt, std::nullopt});
        }
        for (std::size_t i = 0; i < cores.size(); ++i) {
            auto& state = cores[i]->state();
            if (state.done() && !state.cancelled() && state.exception() != nullptr) {
                loop_->call_exception_handler({"unhandled exception during run() shutdown",
                                               state.exception(), pending[i], std::nullopt});
            }
        }
    }
    pending.clear(); // task handles must go before the loop they belong to
    if (loop_->has_default_executor()) {
        // asyncio.run does the same: the default executor's threads end before the loop.
        try {
            loop_->run_until_complete(loop_->shutdown_default_executor());
        } catch (...) {
            loop_->call_exception_handler({"error while shutting down the default executor",
                                           std::current_exception(), std::nullopt, std::nullopt});
        }
    }
    loop_->close();
    loop_.reset();
}

} // namespace coreloop
