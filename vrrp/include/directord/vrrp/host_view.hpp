#pragma once
// The instance's interface as the kernel reports it, and what the instance must do when it
// changes under us: pure, so every host event is decided the same way in tests and in the
// daemon (interface gone or re-created, link down, primary address changed, MAC changed,
// a VIP of ours removed or left behind by someone else).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::vrrp {

using MacAddress = std::array<std::uint8_t, 6>;

struct InterfaceInfo {
    int index = 0;  // 0: the interface does not exist
    MacAddress mac{};
    bool running = false;                      // administratively up with carrier
    std::vector<config::IpAddress> addresses;  // both families, in the kernel's order
    bool exists() const { return index != 0; }
    bool operator==(const InterfaceInfo&) const = default;
};

// Which of the interface's addresses adverts leave from. RFC 5798 §5.1.2.1 says IPv6's
// link-local; unicast to peers listed by global (or ULA) address needs one of those instead,
// or the peers would drop our adverts as not coming from a peer.
enum class AdvertSource { ipv4, ipv6_link_local, ipv6_global };
AdvertSource advert_source(const config::Instance& instance);

struct HostAssessment {
    // Why the instance cannot run on this interface now: "interface eth1 missing",
    // "interface eth1 down", "no IPv4 address on eth1"; empty when it can.
    std::string fault;
    // The advert source: the first address of the instance's kind (AdvertSource) that is not
    // one of ours; unspecified if none.
    config::IpAddress primary;
    // The interface is new (first seen, or re-created with another index): the VRRP socket
    // and the ARP sender must be bound to it again.
    bool rebind = false;
    // MASTER on an interface whose hardware address changed (bond fail-over) or that was
    // re-created: clients must learn the VIPs' new MAC now.
    bool reannounce = false;
    // MASTER: ours, seen on the interface before and gone now (removed by someone else).
    std::vector<config::Vip> restore;
    // Not MASTER: ours, newly present on the interface (added by someone else).
    std::vector<config::Vip> stray;
};

// `before` is what was last assessed (index 0 at start), `held` every VIP the master holds,
// `source` the kind of address adverts leave from, `managed` every address any instance of
// this host may hold: never an advert source (IPv6 lists the newest address first, so another
// instance's VIP would otherwise become ours).
HostAssessment assess_host(const std::string& interface, const InterfaceInfo& before,
                           const InterfaceInfo& now, const std::vector<config::Vip>& held,
                           bool master, AdvertSource source,
                           const std::vector<config::IpAddress>& managed = {});

}  // namespace directord::vrrp
