#pragma once
// One check of one target on its schedule: jittered first run, absolute-deadline interval,
// retries, first-result gating and rise/fall hysteresis.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/healthcheck/hysteresis.hpp"
#include "directord/healthcheck/probe.hpp"

namespace directord::healthcheck {

class Monitor {
  public:
    using ChangeHandler = std::function<void(const Monitor&)>;

    Monitor(boost::asio::io_context& io, std::string target_name, config::Check check,
            boost::asio::ip::tcp::endpoint target, ChangeHandler on_change);

    // First run spread randomly over one interval (thousands of real-server checks), or
    // at once when `random` is null (a VRRP track wants its answer before the first election).
    void start(std::mt19937* random);
    bool up() const { return state_.up(); }
    const std::string& target_name() const { return target_name_; }
    const ProbeResult& last_result() const { return last_; }
    std::string_view kind() const;

    std::vector<RealServerRef> users;  // who receives this check's state

  private:
    void attempt(unsigned number);
    void record(const ProbeResult& result);
    void schedule_next();

    std::string target_name_;
    config::Check check_;
    std::unique_ptr<Probe> probe_;
    boost::asio::steady_timer timer_;
    Hysteresis state_;
    bool decided_ = false;  // the first result sets the state directly
    ProbeResult last_;
    ChangeHandler on_change_;
    std::chrono::steady_clock::time_point next_run_{};
};

}  // namespace directord::healthcheck
