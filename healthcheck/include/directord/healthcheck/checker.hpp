#pragma once
// Runs the health checks of every real server on the event loop and publishes their state
// changes. Identical checks of the same target are run once and fanned out to every virtual
// server that uses it. A reload keeps the monitors (and their state) whose check is unchanged.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/healthcheck/check_plan.hpp"
#include "directord/healthcheck/monitor.hpp"
#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {

using config::RealServerId;

struct HealthEvent {
    RealServerId who;
    bool up;
    std::string reason;
    std::chrono::microseconds latency;
};

class HealthChecker : private Monitor::Owner {
  public:
    using Listener = std::function<void(const HealthEvent&)>;

    explicit HealthChecker(boost::asio::io_context& io);
    ~HealthChecker();
    HealthChecker(const HealthChecker&) = delete;
    HealthChecker& operator=(const HealthChecker&) = delete;

    void subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }
    // Starts, keeps or stops monitors so that they match `cfg`. `cfg` must be validated.
    void apply(const config::Config& cfg);
    // The same with the plan made beforehand (off the loop). Takes the plan's lists and
    // leaves the ones they replace in it, to be freed with it.
    void apply(CheckPlan& plan);

    // The state of one real server of one virtual server (false when unknown or unchecked).
    bool is_up(const RealServerId& who) const;
    // The monitor checking one real server of one virtual server (null: unchecked, unknown).
    const Monitor* monitor_of(const RealServerId& who) const;
    // Every real server's state that a check result decided (after a reload, consumers
    // resynchronise with it; the others are still waiting for their first result).
    void for_each_state(const std::function<void(const RealServerId&, bool up)>& visit) const;
    const CheckStats& stats() const { return scheduler().stats(); }
    const SecondsHistogram& turns() const { return scheduler().turns(); }
    std::size_t monitor_count() const { return monitors_.size(); }
    // One line: monitors up/down, probes started, start lateness percentiles.
    void log_status() const;

  private:
    void on_change(const Monitor& monitor) override;
    std::span<const Monitor::User> users_of(const Monitor& monitor) const;
    Monitor::Owner& owner() { return *this; }

    std::vector<std::string> virtual_server_names_;  // by RealServerId::virtual_server
    std::vector<std::unique_ptr<Monitor>> monitors_;
    std::vector<Monitor::User> users_;  // each monitor's users, contiguous
    // By RealServerId: the index of its monitor in monitors_ + 1 (0: unchecked); monitors_ is
    // in the order of the plan's entries.
    std::vector<std::vector<std::uint32_t>> monitor_index_;
    std::vector<Listener> listeners_;
    std::mt19937 random_{std::random_device{}()};
};

using config::endpoint_name;

}  // namespace directord::healthcheck
