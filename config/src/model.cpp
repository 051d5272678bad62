#include "directord/config/model.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace directord::config {

std::string endpoint_name(const IpAddress& address, std::uint16_t port) {
    return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                           : fmt::format("{}:{}", address.to_string(), port);
}

const Frontend* address_frontend(const VirtualServer& vs) {
    auto f = std::find_if(vs.frontends.begin(), vs.frontends.end(),
                          [](const Frontend& f) { return !f.fwmark; });
    return f == vs.frontends.end() ? nullptr : &*f;
}

bool serves_ipv6(const VirtualServer& vs) {
    if (const auto* f = address_frontend(vs)) return f->address.is_v6();
    return !vs.real_servers.empty() && vs.real_servers.front().address.is_v6();
}

}  // namespace directord::config
