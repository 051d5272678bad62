#include "netlink.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <cerrno>
#include <cstring>

#include "attributes.hpp"
#include "directord/ipvs/client.hpp"

namespace directord::ipvs::wire {

Socket open() {
    Socket socket(nl_socket_alloc(), nl_socket_free);
    if (!socket) throw IpvsError("IPVS: cannot allocate a netlink socket", ENOMEM);
    nl_socket_disable_auto_ack(socket.get());
    if (int rc = genl_connect(socket.get()); rc < 0)
        throw IpvsError(fmt::format("IPVS: generic netlink: {}", nl_geterror(rc)), 0);
    // Replies to large batches and dumps arrive faster than they are read.
    nl_socket_set_buffer_size(socket.get(), 4 << 20, 4 << 20);
    return socket;
}

int resolve_family(nl_sock* socket) {
    int family = genl_ctrl_resolve(socket, IPVS_GENL_NAME);
    if (family < 0)
        throw IpvsError("IPVS is not available in this kernel (module ip_vs missing?)", ENOENT);
    return family;
}

Message request(nl_sock* socket, int family, std::uint8_t command, int flags,
                std::uint32_t sequence) {
    Message msg(nlmsg_alloc_size(kMessageSize), nlmsg_free);
    if (!msg) throw IpvsError("IPVS: out of memory for a netlink message", ENOMEM);
    genlmsg_put(msg.get(), nl_socket_get_local_port(socket), sequence, family, 0, flags, command,
                IPVS_GENL_VERSION);
    return msg;
}

void put_address(nl_msg* msg, int type, const Address& address) {
    unsigned char raw[16] = {};
    if (address.is_v4()) {
        auto b = address.to_v4().to_bytes();
        std::memcpy(raw, b.data(), 4);
    } else if (address.is_v6()) {
        auto b = address.to_v6().to_bytes();
        std::memcpy(raw, b.data(), 16);
    }
    nla_put(msg, type, sizeof raw, raw);
}

namespace {
void put_service_key(nl_msg* msg, const ServiceKey& key) {
    nla_put_u16(msg, IPVS_SVC_ATTR_AF, static_cast<std::uint16_t>(key.family));
    if (key.fwmark) {
        nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, key.fwmark);
    } else {
        nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, key.protocol);
        put_address(msg, IPVS_SVC_ATTR_ADDR, key.address);
        nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(key.port));
    }
}
}  // namespace

void put_service(nl_msg* msg, const Service& s, bool settings) {
    nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
    put_service_key(msg, s.key);
    if (settings) {
        nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, s.scheduler.c_str());
        ip_vs_flags flags{s.flags & kSettableFlags, ~0u};
        nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags);
        nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, s.timeout);
        nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, wire_netmask(s.key.family, s.netmask));
        if (!s.persistence_engine.empty())
            nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, s.persistence_engine.c_str());
    }
    nla_nest_end(msg, nest);
}

}  // namespace directord::ipvs::wire
