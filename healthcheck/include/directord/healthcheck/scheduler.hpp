#pragma once
// The loop's check work, kept from crowding out VRRP. One per io_context (an Asio service),
// shared by the real-server checks and the VRRP track checks.
//  - Monitors are run when due from one timer and one heap rather than a timer each, so a
//    check costs little memory.
//  - Everything the checkers do is done in slices of at most kSlice: due monitors are started,
//    and the probes' socket and timer callbacks (TLS handshakes, MySQL protocol steps, ...)
//    are queued with defer() and run, a slice at a time. Between two slices the loop polls
//    the reactor once, so an advert timer or a received advert is served in between.
//    A burst of thousands of due checks or completions therefore delays VRRP by one slice.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "directord/healthcheck/check_stats.hpp"
#include "directord/healthcheck/histogram.hpp"
#include "directord/histogram.hpp"

namespace directord::healthcheck {

class Monitor;

class Scheduler : public boost::asio::execution_context::service {
  public:
    using Clock = std::chrono::steady_clock;
    static inline boost::asio::execution_context::id id;
    static constexpr auto kSlice = std::chrono::milliseconds(1);
    // Monitors due this close together start in one wake-up of the loop (the later ones
    // slightly early) rather than waking it once each.
    static constexpr auto kCoalesce = std::chrono::milliseconds(1);

    explicit Scheduler(boost::asio::execution_context& context);
    void shutdown() override;
    // The scheduler of `io`'s loop.
    static Scheduler& of(boost::asio::io_context& io);

    boost::asio::io_context& io() { return io_; }
    // Runs `monitor` at `due` (replacing an earlier schedule of it).
    void schedule(Monitor& monitor, Clock::time_point due);
    void cancel(Monitor& monitor);
    // Runs `work` in the next slice, after the work deferred before it.
    void defer(std::function<void()> work);

    std::size_t pending() const { return heap_.size(); }
    // How late monitors started compared with their schedule.
    const Histogram& lateness() const { return lateness_; }
    std::uint64_t started() const { return lateness_.count(); }
    // How long each turn of check work held the loop (a probe started, a socket or timer
    // callback, a result reported): the slices bound how many turns run in a row, not how long
    // one lasts, so a long one here is an advert sent that much late.
    const SecondsHistogram& turns() const { return turns_; }
    // Every probe result (retries included), by kind.
    CheckStats& stats() { return stats_; }
    const CheckStats& stats() const { return stats_; }

  private:
    void run_slice();
    // Records a turn that began at `began` and returns the time it ended.
    Clock::time_point timed_turn(Clock::time_point began);
    void arm();
    void place(std::size_t slot, Monitor* monitor);
    void sift_up(std::size_t slot);
    void sift_down(std::size_t slot);
    void remove_at(std::size_t slot);

    boost::asio::io_context& io_;
    boost::asio::steady_timer timer_;
    std::vector<Monitor*> heap_;  // min-heap by due time; each monitor knows its slot
    std::deque<std::function<void()>> deferred_;
    Clock::time_point armed_for_ = Clock::time_point::max();
    bool in_slice_ = false;
    bool slice_posted_ = false;
    Histogram lateness_;
    SecondsHistogram turns_;
    CheckStats stats_;
};

}  // namespace directord::healthcheck
