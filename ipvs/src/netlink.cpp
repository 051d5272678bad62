#include "netlink.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <cerrno>
#include <cstring>

#include "directord/ipvs/client.hpp"

namespace directord::ipvs::wire {

Connection connect() {
    Connection c{Socket(nl_socket_alloc(), nl_socket_free), 0};
    if (!c.socket) throw IpvsError("IPVS: cannot allocate a netlink socket", ENOMEM);
    nl_socket_disable_auto_ack(c.socket.get());
    if (int rc = genl_connect(c.socket.get()); rc < 0)
        throw IpvsError(fmt::format("IPVS: generic netlink: {}", nl_geterror(rc)), 0);
    // Replies to large batches and dumps arrive faster than they are read.
    nl_socket_set_buffer_size(c.socket.get(), 4 << 20, 4 << 20);
    c.family = genl_ctrl_resolve(c.socket.get(), IPVS_GENL_NAME);
    if (c.family < 0)
        throw IpvsError("IPVS is not available in this kernel (module ip_vs missing?)", ENOENT);
    return c;
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

}  // namespace directord::ipvs::wire
