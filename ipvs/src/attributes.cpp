#include "attributes.hpp"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace directord::ipvs::wire {
namespace {

// What libnl checks before anything is read: each attribute's length against its type's
// (minlen for the binary ones) and strings for their NUL within the attribute.
template <int Max>
using Policy = std::array<nla_policy, Max + 1>;

const Policy<IPVS_SVC_ATTR_MAX>& service_policy() {
    static const auto p = [] {
        Policy<IPVS_SVC_ATTR_MAX> p{};
        p[IPVS_SVC_ATTR_AF].type = NLA_U16;
        p[IPVS_SVC_ATTR_PROTOCOL].type = NLA_U16;
        p[IPVS_SVC_ATTR_ADDR].minlen = 4;
        p[IPVS_SVC_ATTR_PORT].type = NLA_U16;
        p[IPVS_SVC_ATTR_FWMARK].type = NLA_U32;
        p[IPVS_SVC_ATTR_SCHED_NAME] = {NLA_STRING, 0, IP_VS_SCHEDNAME_MAXLEN};
        p[IPVS_SVC_ATTR_FLAGS].minlen = sizeof(ip_vs_flags);
        p[IPVS_SVC_ATTR_TIMEOUT].type = NLA_U32;
        p[IPVS_SVC_ATTR_NETMASK].type = NLA_U32;
        p[IPVS_SVC_ATTR_PE_NAME] = {NLA_STRING, 0, IP_VS_PENAME_MAXLEN};
        return p;
    }();
    return p;
}

const Policy<IPVS_DEST_ATTR_MAX>& destination_policy() {
    static const auto p = [] {
        Policy<IPVS_DEST_ATTR_MAX> p{};
        p[IPVS_DEST_ATTR_ADDR].minlen = 4;
        p[IPVS_DEST_ATTR_PORT].type = NLA_U16;
        p[IPVS_DEST_ATTR_ADDR_FAMILY].type = NLA_U16;
        for (int a : {IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT, IPVS_DEST_ATTR_U_THRESH,
                      IPVS_DEST_ATTR_L_THRESH, IPVS_DEST_ATTR_ACTIVE_CONNS,
                      IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS})
            p[a].type = NLA_U32;
        return p;
    }();
    return p;
}

const Policy<IPVS_DAEMON_ATTR_MAX>& daemon_policy() {
    static const auto p = [] {
        Policy<IPVS_DAEMON_ATTR_MAX> p{};
        p[IPVS_DAEMON_ATTR_STATE].type = NLA_U32;
        p[IPVS_DAEMON_ATTR_MCAST_IFN] = {NLA_STRING, 0, IP_VS_IFNAME_MAXLEN};
        p[IPVS_DAEMON_ATTR_SYNC_ID].type = NLA_U32;
        p[IPVS_DAEMON_ATTR_SYNC_MAXLEN].type = NLA_U16;
        p[IPVS_DAEMON_ATTR_MCAST_GROUP].type = NLA_U32;
        p[IPVS_DAEMON_ATTR_MCAST_GROUP6].minlen = 16;
        p[IPVS_DAEMON_ATTR_MCAST_PORT].type = NLA_U16;
        p[IPVS_DAEMON_ATTR_MCAST_TTL].type = NLA_U8;
        return p;
    }();
    return p;
}

const Policy<IPVS_CMD_ATTR_MAX>& command_policy() {
    static const auto p = [] {
        Policy<IPVS_CMD_ATTR_MAX> p{};
        for (int a : {IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_DAEMON})
            p[a].type = NLA_NESTED;
        for (int a :
             {IPVS_CMD_ATTR_TIMEOUT_TCP, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IPVS_CMD_ATTR_TIMEOUT_UDP})
            p[a].type = NLA_U32;
        return p;
    }();
    return p;
}

const Policy<IPVS_INFO_ATTR_MAX>& info_policy() {
    static const auto p = [] {
        Policy<IPVS_INFO_ATTR_MAX> p{};
        p[IPVS_INFO_ATTR_VERSION].type = NLA_U32;
        p[IPVS_INFO_ATTR_CONN_TAB_SIZE].type = NLA_U32;
        return p;
    }();
    return p;
}

template <std::size_t Size>
std::optional<Attributes> nested(nlattr* parent, const std::array<nla_policy, Size>& policy) {
    Attributes attrs(Size, nullptr);
    if (!parent ||
        nla_parse_nested(attrs.data(), static_cast<int>(Size) - 1, parent, policy.data()) < 0)
        return std::nullopt;
    return attrs;
}

std::uint16_t u16(const nlattr* a) { return a ? nla_get_u16(const_cast<nlattr*>(a)) : 0; }
// Checked by the policy: NUL-terminated within the attribute.
std::string text(const nlattr* a) {
    return a ? std::string(static_cast<const char*>(nla_data(a)),
                           strnlen(static_cast<const char*>(nla_data(a)),
                                   static_cast<std::size_t>(nla_len(a))))
             : std::string();
}

std::optional<Address> address_of(const nlattr* a, int family) {
    if (!a) return Address{};
    if (family == AF_INET) {
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), nla_data(a), 4);  // minlen 4 by the policy
        return boost::asio::ip::address_v4(b);
    }
    if (family == AF_INET6 && nla_len(a) >= 16) {
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), nla_data(a), 16);
        return boost::asio::ip::address_v6(b);
    }
    return std::nullopt;  // an IPv6 address too short, or an unknown family
}

}  // namespace

std::optional<Attributes> top_level(nl_msg* msg, bool info) {
    return top_level(nlmsg_hdr(msg), info);
}

std::optional<Attributes> top_level(nlmsghdr* answer, bool info) {
    int max = info ? IPVS_INFO_ATTR_MAX : IPVS_CMD_ATTR_MAX;
    Attributes attrs(static_cast<std::size_t>(max) + 1, nullptr);
    const nla_policy* policy = info ? info_policy().data() : command_policy().data();
    if (genlmsg_parse(answer, 0, attrs.data(), max, policy) < 0) return std::nullopt;
    return attrs;
}

std::uint32_t u32(const nlattr* a) { return a ? nla_get_u32(const_cast<nlattr*>(a)) : 0; }

std::uint32_t wire_netmask(int family, std::uint32_t netmask) {
    return family == AF_INET6 ? netmask : htonl(netmask);
}

std::optional<Service> parse_service(nlattr* nest) {
    auto a = nested(nest, service_policy());
    if (!a) return std::nullopt;
    const auto& at = *a;
    Service s;
    s.key.family = u16(at[IPVS_SVC_ATTR_AF]);
    s.key.fwmark = u32(at[IPVS_SVC_ATTR_FWMARK]);
    if (!s.key.fwmark) {
        s.key.protocol = u16(at[IPVS_SVC_ATTR_PROTOCOL]);
        auto address = address_of(at[IPVS_SVC_ATTR_ADDR], s.key.family);
        if (!address) return std::nullopt;
        s.key.address = *address;
        s.key.port = ntohs(u16(at[IPVS_SVC_ATTR_PORT]));
    } else {
        s.key.protocol = 0;
    }
    s.scheduler = text(at[IPVS_SVC_ATTR_SCHED_NAME]);
    if (auto* f = at[IPVS_SVC_ATTR_FLAGS])
        s.flags = static_cast<const ip_vs_flags*>(nla_data(f))->flags;
    s.timeout = u32(at[IPVS_SVC_ATTR_TIMEOUT]);
    s.netmask = wire_netmask(s.key.family, u32(at[IPVS_SVC_ATTR_NETMASK]));
    s.persistence_engine = text(at[IPVS_SVC_ATTR_PE_NAME]);
    return s;
}

std::optional<Destination> parse_destination(nlattr* nest, int service_family) {
    auto a = nested(nest, destination_policy());
    if (!a) return std::nullopt;
    const auto& at = *a;
    Destination d;
    int family =
        at[IPVS_DEST_ATTR_ADDR_FAMILY] ? u16(at[IPVS_DEST_ATTR_ADDR_FAMILY]) : service_family;
    auto address = address_of(at[IPVS_DEST_ATTR_ADDR], family);
    if (!address) return std::nullopt;
    d.address = *address;
    d.port = ntohs(u16(at[IPVS_DEST_ATTR_PORT]));
    d.forward = static_cast<Forward>(u32(at[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK);
    d.weight = u32(at[IPVS_DEST_ATTR_WEIGHT]);
    d.upper_threshold = u32(at[IPVS_DEST_ATTR_U_THRESH]);
    d.lower_threshold = u32(at[IPVS_DEST_ATTR_L_THRESH]);
    d.active_connections = u32(at[IPVS_DEST_ATTR_ACTIVE_CONNS]);
    d.inactive_connections = u32(at[IPVS_DEST_ATTR_INACT_CONNS]);
    d.persistent_connections = u32(at[IPVS_DEST_ATTR_PERSIST_CONNS]);
    return d;
}

std::optional<SyncDaemon> parse_daemon(nlattr* nest) {
    auto a = nested(nest, daemon_policy());
    if (!a) return std::nullopt;
    const auto& at = *a;
    SyncDaemon d;
    d.role = static_cast<SyncDaemon::Role>(u32(at[IPVS_DAEMON_ATTR_STATE]));
    d.interface = text(at[IPVS_DAEMON_ATTR_MCAST_IFN]);
    d.sync_id = u32(at[IPVS_DAEMON_ATTR_SYNC_ID]);
    // Kernels before 4.3 tell none of these; a daemon they run matches one left to defaults.
    if (auto* g = at[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
        boost::asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), nla_data(g), bytes.size());
        d.group = boost::asio::ip::address_v4(bytes);
    } else if (auto* g6 = at[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
        boost::asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), nla_data(g6), bytes.size());
        d.group = boost::asio::ip::address_v6(bytes);
    }
    if (auto* p = at[IPVS_DAEMON_ATTR_MCAST_PORT]) d.port = nla_get_u16(p);
    if (auto* t = at[IPVS_DAEMON_ATTR_MCAST_TTL]) d.ttl = nla_get_u8(t);
    if (auto* l = at[IPVS_DAEMON_ATTR_SYNC_MAXLEN]) d.max_length = nla_get_u16(l);
    return d;
}

}  // namespace directord::ipvs::wire
