#pragma once
// A VRRP track script: runs argv every interval (never two runs at once), debounced
// by fall/rise, and reports when its debounced state flips.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>

#include "directord/config/model.hpp"
#include "directord/healthcheck/hysteresis.hpp"
#include "directord/healthcheck/process.hpp"

namespace directord::vrrp {

class TrackScript {
  public:
    using Handler = std::function<void(bool up, const std::string& why)>;

    TrackScript(boost::asio::io_context& io, std::string owner, config::TrackScript cfg,
                Handler on_change);
    TrackScript(const TrackScript&) = delete;
    TrackScript& operator=(const TrackScript&) = delete;

    void start();
    bool up() const { return state_.up(); }
    const config::TrackScript& config() const { return cfg_; }

  private:
    void run();
    void schedule();

    std::string owner_;
    config::TrackScript cfg_;
    Handler on_change_;
    boost::asio::steady_timer timer_;
    healthcheck::ProcessSlot slot_;
    // Starts up: a fresh daemon must not hand over before the script has had its say.
    healthcheck::Hysteresis state_;
    std::chrono::steady_clock::time_point next_run_{};
};

}  // namespace directord::vrrp
