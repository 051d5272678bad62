#pragma once
// The IPVS table as values: virtual services and their destinations (real servers), with
// exactly the attributes the kernel stores, so a table read back from the kernel compares
// equal to the one written.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace directord::ipvs {

using Address = boost::asio::ip::address;

enum class Forward : std::uint32_t {
    nat = 0,
    local = 1,
    tunnel = 2,
    direct = 3
};  // IP_VS_CONN_F_*

// What names a virtual service: protocol, address and port, or a firewall mark.
struct ServiceKey {
    int family = 2;              // AF_INET (2) or AF_INET6 (10)
    std::uint16_t protocol = 6;  // IPPROTO_TCP / IPPROTO_UDP / IPPROTO_SCTP; 0 with a fwmark
    Address address;             // unspecified with a fwmark
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;  // non-zero: a firewall-mark service
    bool operator==(const ServiceKey&) const = default;
    bool operator<(const ServiceKey& other) const;
};

// Service flags (linux/ip_vs.h IP_VS_SVC_F_*).
constexpr std::uint32_t kPersistent = 0x1;
constexpr std::uint32_t kOnePacket = 0x4;
constexpr std::uint32_t kSchedulerFlag1 = 0x8;   // sh: fallback; mh: fallback
constexpr std::uint32_t kSchedulerFlag2 = 0x10;  // sh: port; mh: port
constexpr std::uint32_t kSchedulerFlag3 = 0x20;
// Flags directord sets; the kernel adds its own (e.g. hashed) which are not compared.
constexpr std::uint32_t kSettableFlags =
    kPersistent | kOnePacket | kSchedulerFlag1 | kSchedulerFlag2 | kSchedulerFlag3;

struct Service {
    ServiceKey key;
    std::string scheduler = "wlc";
    std::uint32_t flags = 0;             // kPersistent, kOnePacket, scheduler flags
    std::uint32_t timeout = 0;           // persistence timeout, seconds
    std::uint32_t netmask = 0xffffffff;  // persistence granularity (IPv6: prefix length)
    std::string persistence_engine;      // e.g. "sip"; empty = none
    // directord's, not the kernel's: its destinations are kept in one canonical order, the
    // same on every director, because schedulers such as mh fill their table in list order
    // (the kernel lists destinations newest first). Not compared.
    bool ordered = false;
    // Equal settings (the kernel's own flags are ignored).
    bool same_settings(const Service& other) const;
};

struct Destination {
    Address address;
    std::uint16_t port = 0;
    Forward forward = Forward::nat;
    std::uint32_t weight = 1;
    std::uint32_t upper_threshold = 0;  // 0 = none
    std::uint32_t lower_threshold = 0;
    // Read back only.
    std::uint32_t active_connections = 0;
    std::uint32_t inactive_connections = 0;
    std::uint32_t persistent_connections = 0;
    bool same_place(const Destination& other) const {
        return address == other.address && port == other.port;
    }
    bool same_settings(const Destination& other) const {
        return forward == other.forward && weight == other.weight &&
               upper_threshold == other.upper_threshold && lower_threshold == other.lower_threshold;
    }
};

struct VirtualService {
    Service service;
    std::vector<Destination> destinations;
};

using Table = std::vector<VirtualService>;
// A table looked up by service: what the programmer knows of the kernel.
using TableByKey = std::map<ServiceKey, VirtualService>;
TableByKey by_key(Table table);
// The destination of service `key` at `place`'s address and port, if `table` has it.
const Destination* find_destination(const TableByKey& table, const ServiceKey& key,
                                    const Destination& place);

// "TCP 10.0.0.1:80", "FWM 42", "UDP [2001:db8::1]:53": as ipvsadm names them.
std::string describe(const ServiceKey& key);
// "10.0.0.2:80".
std::string describe(const Destination& destination);
std::string_view forward_name(Forward forward);

}  // namespace directord::ipvs
