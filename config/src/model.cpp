#include "directord/config/model.hpp"

#include <algorithm>

namespace directord::config {

bool serves_ipv6(const VirtualServer& vs) {
    auto with_address = std::find_if(vs.frontends.begin(), vs.frontends.end(),
                                     [](const Frontend& f) { return !f.fwmark; });
    if (with_address != vs.frontends.end()) return with_address->address.is_v6();
    return !vs.real_servers.empty() && vs.real_servers.front().address.is_v6();
}

}  // namespace directord::config
