#pragma once
// An executor that runs completion handlers as the Scheduler's check work, in its slices. Bound
// to a probe's handlers, it also carries the intermediate steps of Asio's and Beast's composed
// operations (a TLS handshake's crypto, a response's parsing), which run on the final handler's
// executor: a burst of them yields to VRRP like every other check's work.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <type_traits>
#include <utility>

#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {

class SliceExecutor {
  public:
    explicit SliceExecutor(boost::asio::io_context& io) : scheduler_(&Scheduler::of(io)) {}

    boost::asio::execution_context& context() const noexcept { return scheduler_->io(); }
    // The deferred work keeps the scheduler's timer armed, and with it the loop running.
    void on_work_started() const noexcept {}
    void on_work_finished() const noexcept {}
    template <class Function, class Allocator>
    void dispatch(Function&& f, const Allocator&) const {
        later(std::forward<Function>(f));
    }
    template <class Function, class Allocator>
    void post(Function&& f, const Allocator&) const {
        later(std::forward<Function>(f));
    }
    template <class Function, class Allocator>
    void defer(Function&& f, const Allocator&) const {
        later(std::forward<Function>(f));
    }
    bool operator==(const SliceExecutor& other) const noexcept {
        return scheduler_ == other.scheduler_;
    }

  private:
    // Asio's handlers may be move-only; the scheduler's queue holds copyable work.
    template <class Function>
    void later(Function&& f) const {
        auto work = std::make_shared<std::decay_t<Function>>(std::forward<Function>(f));
        scheduler_->defer([work] { (*work)(); });
    }

    Scheduler* scheduler_;
};

// `handler`, and the steps Asio and Beast run under it, as check work in the slices.
template <class Handler>
boost::asio::executor_binder<Handler, SliceExecutor> in_slices(const SliceExecutor& slices,
                                                               Handler handler) {
    return boost::asio::bind_executor(slices, std::move(handler));
}

}  // namespace directord::healthcheck
