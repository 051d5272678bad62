#pragma once
// The kernel routes of announced addresses, behind a small interface (the daemon passes the
// kernel's, tests an in-memory fake). Each address has two routes of directord's protocol:
// delivery (`local ADDRESS dev lo table local`: packets to it are accepted here, whether or not
// it is announced) and announce (`blackhole ADDRESS` in main: the routing engine redistributes
// it; it only matters to this host if the local route is gone, and then it drops instead of
// looping).
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "directord/config/model.hpp"

namespace directord::bgp {

// The routes of directord's protocol found in the kernel.
struct OwnRoutes {
    std::set<config::IpAddress> delivered;
    std::set<config::IpAddress> announced;
};

class Routes {
  public:
    virtual ~Routes() = default;
    // Idempotent: adding a present route or removing an absent one succeeds. Returns the
    // kernel's refusal, naming the route, or none.
    virtual std::optional<std::string> set_delivery(const config::IpAddress& address,
                                                    bool present) = 0;
    virtual std::optional<std::string> set_announced(const config::IpAddress& address,
                                                     bool present) = 0;
    // Throws IoError when the kernel cannot be read.
    virtual OwnRoutes read() = 0;
};

// The kernel's routes through rtnetlink, marked with `protocol`. Throws IoError.
std::unique_ptr<Routes> kernel_routes(std::uint8_t protocol);

}  // namespace directord::bgp
