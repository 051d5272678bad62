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

bool is_of(AdvertSource source, const config::IpAddress& address) {
    switch (source) {
        case AdvertSource::ipv4:
            return address.is_v4();
        case AdvertSource::ipv6_link_local:
            return address.is_v6() && address.to_v6().is_link_local();
        case AdvertSource::ipv6_global:
            return address.is_v6() && !address.to_v6().is_link_local();
    }
    return false;
}

std::string_view describe(AdvertSource source) {
    switch (source) {
        case AdvertSource::ipv4:
            return "IPv4 address";
        case AdvertSource::ipv6_link_local:
            return "IPv6 link-local address";
        case AdvertSource::ipv6_global:
            return "global IPv6 address (the unicast source)";
    }
    return "address";
}

}  // namespace

AdvertSource advert_source(const config::Instance& instance) {
    if (!instance.ipv6()) return AdvertSource::ipv4;
    // The loader refuses a mix of link-local and other peers, so the first one decides.
    bool global_peers =
        !instance.unicast_peers.empty() && !instance.unicast_peers.front().to_v6().is_link_local();
    return global_peers ? AdvertSource::ipv6_global : AdvertSource::ipv6_link_local;
}

HostAssessment assess_host(const std::string& interface, const InterfaceInfo& before,
                           const InterfaceInfo& now, const std::vector<config::Vip>& held,
                           bool master, AdvertSource source,
                           const std::vector<config::IpAddress>& managed) {
    HostAssessment out;
    for (const auto& address : now.addresses)
        if (is_of(source, address) && !is_ours(held, address) &&
            std::find(managed.begin(), managed.end(), address) == managed.end()) {
            out.primary = address;
            break;
        }
    if (!now.exists())
        out.fault = fmt::format("interface {} missing", interface);
    else if (!now.running)
        out.fault = fmt::format("interface {} down", interface);
    else if (out.primary.is_unspecified())
        out.fault = fmt::format("no {} on {}", describe(source), interface);
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
