#include "directord/healthcheck/scheduler.hpp"

#include <boost/asio/post.hpp>

#include "directord/healthcheck/monitor.hpp"

namespace directord::healthcheck {

Scheduler::Scheduler(boost::asio::execution_context& context)
    : service(context), io_(static_cast<boost::asio::io_context&>(context)), timer_(io_) {}

void Scheduler::shutdown() {
    deferred_.clear();
    for (Monitor* monitor : heap_) monitor->slot_ = Monitor::kUnscheduled;
    heap_.clear();
}

Scheduler& Scheduler::of(boost::asio::io_context& io) {
    return boost::asio::use_service<Scheduler>(io);
}

void Scheduler::schedule(Monitor& monitor, Clock::time_point due) {
    if (monitor.slot_ != Monitor::kUnscheduled) remove_at(monitor.slot_);
    monitor.due_ = due;
    heap_.push_back(&monitor);
    monitor.slot_ = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(monitor.slot_);
    if (!in_slice_ && heap_.front() == &monitor && due < armed_for_) arm();
}

void Scheduler::cancel(Monitor& monitor) {
    if (monitor.slot_ != Monitor::kUnscheduled) remove_at(monitor.slot_);
}

void Scheduler::defer(std::function<void()> work) {
    deferred_.push_back(std::move(work));
    if (!in_slice_) arm();
}

void Scheduler::arm() {
    auto now = Clock::now();
    if (!deferred_.empty() || (!heap_.empty() && heap_.front()->due_ <= now + kCoalesce)) {
        // More to do at once: posted, so the reactor (VRRP timers, received adverts) is
        // polled before this next slice runs.
        if (!slice_posted_) {
            slice_posted_ = true;
            boost::asio::post(io_, [this] {
                slice_posted_ = false;
                run_slice();
            });
        }
        return;
    }
    if (heap_.empty()) {
        armed_for_ = Clock::time_point::max();
        timer_.cancel();
        return;
    }
    if (heap_.front()->due_ == armed_for_) return;
    armed_for_ = heap_.front()->due_;
    timer_.expires_at(armed_for_);  // cancels the previous wait, whose handler then does nothing
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        armed_for_ = Clock::time_point::max();
        run_slice();
    });
}

void Scheduler::run_slice() {
    in_slice_ = true;
    auto start = Clock::now();
    auto end = start + kSlice;
    // Work already under way first: it is what frees sockets and reports results.
    auto now = start;
    while (!deferred_.empty() && now < end) {
        auto work = std::move(deferred_.front());
        deferred_.pop_front();
        work();
        now = timed_turn(now);
    }
    // At least one due monitor per slice, so a flood of completions cannot starve the schedule.
    for (std::size_t n = 0;
         !heap_.empty() && heap_.front()->due_ <= now + kCoalesce && (n == 0 || now < end); ++n) {
        Monitor* monitor = heap_.front();
        remove_at(0);
        lateness_.record(
            std::chrono::duration_cast<std::chrono::microseconds>(now - monitor->due_));
        monitor->due();
        now = timed_turn(now);
    }
    in_slice_ = false;
    arm();
}

Scheduler::Clock::time_point Scheduler::timed_turn(Clock::time_point began) {
    auto now = Clock::now();
    turns_.record(std::chrono::duration<double>(now - began).count());
    return now;
}

void Scheduler::place(std::size_t slot, Monitor* monitor) {
    heap_[slot] = monitor;
    monitor->slot_ = static_cast<std::uint32_t>(slot);
}

void Scheduler::sift_up(std::size_t slot) {
    Monitor* monitor = heap_[slot];
    while (slot > 0) {
        std::size_t parent = (slot - 1) / 2;
        if (heap_[parent]->due_ <= monitor->due_) break;
        place(slot, heap_[parent]);
        slot = parent;
    }
    place(slot, monitor);
}

void Scheduler::sift_down(std::size_t slot) {
    Monitor* monitor = heap_[slot];
    for (;;) {
        std::size_t child = 2 * slot + 1;
        if (child >= heap_.size()) break;
        if (child + 1 < heap_.size() && heap_[child + 1]->due_ < heap_[child]->due_) ++child;
        if (monitor->due_ <= heap_[child]->due_) break;
        place(slot, heap_[child]);
        slot = child;
    }
    place(slot, monitor);
}

void Scheduler::remove_at(std::size_t slot) {
    heap_[slot]->slot_ = Monitor::kUnscheduled;
    Monitor* last = heap_.back();
    heap_.pop_back();
    if (slot == heap_.size()) return;
    place(slot, last);
    sift_down(slot);
    sift_up(last->slot_);
}

}  // namespace directord::healthcheck
