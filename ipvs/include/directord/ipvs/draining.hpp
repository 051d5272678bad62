#pragma once
// Services of announced virtual servers (BGP tier) that a reload removed. Their address was
// withdrawn first; flows the routers still send during the drain must find the service as it
// was, so it leaves the kernel only when the drain ends. Pure: the programmer holds the timer.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "directord/ipvs/desired.hpp"
#include "directord/ipvs/table.hpp"

namespace directord::ipvs {

class DrainingServices {
  public:
    using Clock = std::chrono::steady_clock;
    struct Kept {
        std::string pool;
        ServiceKey key;
    };

    // The announced (ordered) services of `before` that `after` no longer has start draining
    // until now + drain (none with a zero drain); a service configured again stops draining.
    // Returns those that started.
    std::vector<Kept> reconfigured(const Pools& before, const Pools& after,
                                   std::chrono::microseconds drain, Clock::time_point now);
    bool contains(const ServiceKey& key) const { return until_.contains(key); }
    bool empty() const { return until_.empty(); }
    // When the next drain ends.
    std::optional<Clock::time_point> next_end() const;
    // Forgets the services whose drain has ended; returns how many.
    std::size_t expire(Clock::time_point now);

  private:
    std::map<ServiceKey, Clock::time_point> until_;
};

}  // namespace directord::ipvs
