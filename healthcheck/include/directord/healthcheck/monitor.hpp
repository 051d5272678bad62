#pragma once
// One check of one target on its schedule: jittered first run, absolute-deadline interval,
// retries, first-result gating and rise/fall hysteresis. Kept small (thousands per daemon):
// the check's settings are shared, the timer is the scheduler's.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/healthcheck/hysteresis.hpp"
#include "directord/healthcheck/probe.hpp"
#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {

class Monitor {
  public:
    using Clock = Scheduler::Clock;
    // Runs its monitors on a scheduler and is told when a monitor's debounced state flips.
    // (One reference in each monitor for both: tens of thousands are kept.)
    class Owner {
      public:
        explicit Owner(Scheduler& scheduler) : scheduler_(scheduler) {}
        Scheduler& scheduler() const { return scheduler_; }
        virtual void on_change(const Monitor& monitor) = 0;

      protected:
        ~Owner() = default;

      private:
        Scheduler& scheduler_;
    };
    // A real server whose health is this check's verdict.
    using User = config::RealServerId;

    Monitor(Owner& owner, std::shared_ptr<const config::Check> check,
            boost::asio::ip::tcp::endpoint target);
    ~Monitor();
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;

    void start(Clock::time_point first_run);
    bool up() const { return state_.up(); }
    bool decided() const { return decided_; }  // has a first result
    const boost::asio::ip::tcp::endpoint& target() const { return target_; }
    std::string target_name() const;
    const config::Check& check() const { return *check_; }
    // The last result counted (none before the first: failed, no reason, no latency).
    bool last_ok() const { return last_ok_; }
    const std::string& last_reason() const { return last_reason_; }
    std::chrono::microseconds last_latency() const {
        return std::chrono::microseconds(last_latency_us_);
    }
    std::string_view kind() const;

    // Where this monitor's users sit in its owner's list of users.
    std::uint32_t first_user = 0;
    std::uint32_t user_count = 0;

  private:
    friend class Scheduler;
    void due();  // called by the scheduler
    void finished(const ProbeResult& result);
    void record(const ProbeResult& result);

    // Ordered to pack: tens of thousands are kept.
    Owner& owner_;
    std::shared_ptr<const config::Check> check_;
    boost::asio::ip::tcp::endpoint target_;
    std::uint32_t slot_ = kUnscheduled;
    std::unique_ptr<Probe> probe_;  // refers to check_ and target_
    Clock::time_point next_run_{};  // the regular schedule, kept across retries
    Clock::time_point due_{};       // when the scheduler runs us next
    std::string last_reason_;
    std::uint32_t last_latency_us_ = 0;  // saturated at about 71 minutes
    Hysteresis state_;
    std::uint16_t attempt_ = 0;  // retries of the current run so far
    bool decided_ = false;       // the first result sets the state directly
    bool last_ok_ = false;

    static constexpr std::uint32_t kUnscheduled = UINT32_MAX;
};

}  // namespace directord::healthcheck
