#include "directord/vrrp/host_view.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace directord::vrrp {
namespace {

bool has(const InterfaceInfo& info, const config::Vip& vip) {
    return std::find(info.addresses.begin(), info.addresses.end(), vip.address) !=
           info.addresses.end();
}

bool is_ours(const std::vector<config::Vip>& held, const config::IpAddress& address) {
    return std::any_of(held.begin(), held.end(),
                       [&](const config::Vip& vip) { return vip.address == address; });
}

}  // namespace

HostAssessment assess_host(const std::string& interface, const InterfaceInfo& before,
                           const InterfaceInfo& now, const std::vector<config::Vip>& held,
                           bool master, bool ipv6) {
    HostAssessment out;
    for (const auto& address : now.addresses)
        if (address.is_v6() == ipv6 && (!ipv6 || address.to_v6().is_link_local()) &&
            !is_ours(held, address)) {
            out.primary = address;
            break;
        }
    if (!now.exists())
        out.fault = fmt::format("interface {} missing", interface);
    else if (!now.running)
        out.fault = fmt::format("interface {} down", interface);
    else if (out.primary.is_unspecified())
        out.fault = ipv6 ? fmt::format("no IPv6 link-local address on {}", interface)
                         : fmt::format("no IPv4 address on {}", interface);
    if (!now.exists()) return out;
    out.rebind = now.index != before.index;
    out.reannounce = master && (out.rebind || now.mac != before.mac);
    for (const auto& vip : held) {
        // A master about to leave for a fault does not put back what it is going to remove.
        if (master && out.fault.empty() && !out.rebind && has(before, vip) && !has(now, vip))
            out.restore.push_back(vip);
        else if (!master && has(now, vip) && (out.rebind || !has(before, vip)))
            out.stray.push_back(vip);
    }
    return out;
}

}  // namespace directord::vrrp
