#pragma once
// When an address is announced (pure: no I/O, no clock of its own). Announced iff it is not in
// maintenance and its virtual servers are healthy (all of them, or with `require: any` one),
// after the warm-up (every real server checked once) and never sooner than `hold_down` after a
// withdraw (flap damping). A virtual server's health has hysteresis through its watermarks:
// unhealthy below `low` live fraction, healthy again at `high`; without watermarks it is healthy
// while one real server is live.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::bgp {

using Clock = std::chrono::steady_clock;

// A virtual server's real servers as the checks see them now.
struct ServiceCount {
    std::string name;
    std::size_t members = 0;
    std::size_t live = 0;
    std::size_t unknown = 0;  // not checked yet
};

// One virtual server's health, with its watermarks' hysteresis.
class ServiceHealth {
  public:
    explicit ServiceHealth(std::optional<config::Watermarks> watermarks)
        : watermarks_(watermarks) {}
    // Updates and returns the verdict; the first one (no earlier state) needs `high`.
    bool update(const ServiceCount& count);

  private:
    std::optional<config::Watermarks> watermarks_;
    std::optional<bool> healthy_;
};

struct Inputs {
    std::optional<std::string> maintenance;  // why, if in maintenance
    std::size_t unchecked = 0;               // real servers without a first result
    std::optional<std::string> unhealthy;    // why the virtual servers do not allow it
};

struct Decision {
    bool announce = false;
    bool changed = false;
    std::string reason;
    std::optional<Clock::time_point> retry_at;  // decide again then (hold-down ends)
};

class VipRule {
  public:
    // `announced`: the route as found (a restart adopts it until the warm-up ends).
    VipRule(std::chrono::microseconds hold_down, bool announced)
        : hold_down_(hold_down), announced_(announced) {}
    Decision decide(const Inputs& in, Clock::time_point now);
    void set_hold_down(std::chrono::microseconds hold_down) { hold_down_ = hold_down; }

  private:
    std::chrono::microseconds hold_down_;
    bool announced_;
    std::optional<Clock::time_point> withdrawn_at_;
};

// The virtual servers on one address: every one must be healthy, or with `require_all` false
// at least one.
class VipHealth {
  public:
    VipHealth(const std::vector<std::optional<config::Watermarks>>& watermarks, bool require_all);
    // Why the address may not be announced, or none; `counts` in the order of the watermarks.
    std::optional<std::string> judge(const std::vector<ServiceCount>& counts);

  private:
    std::vector<ServiceHealth> services_;
    bool require_all_;
};

}  // namespace directord::bgp
