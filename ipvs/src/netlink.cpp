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

Request::Request(nl_sock* socket, int family, std::uint8_t command, int flags,
                 std::uint32_t sequence, Bytes buffer)
    : buffer_(std::move(buffer)), start_(buffer_.size()) {
    buffer_.resize(start_ + NLMSG_HDRLEN + GENL_HDRLEN);
    auto* header = this->header();
    header->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
    header->nlmsg_type = static_cast<std::uint16_t>(family);
    header->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
    header->nlmsg_seq = sequence;
    header->nlmsg_pid = nl_socket_get_local_port(socket);
    auto* generic = static_cast<genlmsghdr*>(nlmsg_data(header));
    generic->cmd = command;
    generic->version = IPVS_GENL_VERSION;
}

void Request::put(int type, const void* data, std::size_t size) {
    // nla_len is 16 bits: a longer value would be cut and the kernel would read garbage.
    if (size > UINT16_MAX - NLA_HDRLEN)
        throw IpvsError(fmt::format("IPVS: attribute {} of {} bytes is too long", type, size),
                        EMSGSIZE);
    const std::size_t at = buffer_.size();
    buffer_.resize(at + NLA_ALIGN(NLA_HDRLEN + size));  // the padding is zeroed
    auto* attribute = reinterpret_cast<nlattr*>(buffer_.data() + at);
    attribute->nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + size);
    attribute->nla_type = static_cast<std::uint16_t>(type);
    if (size) std::memcpy(buffer_.data() + at + NLA_HDRLEN, data, size);
    header()->nlmsg_len = static_cast<std::uint32_t>(buffer_.size() - start_);
}

std::size_t Request::nest_start(int type) {
    const std::size_t at = buffer_.size();
    put(type, nullptr, 0);
    return at;
}

void Request::nest_end(std::size_t nest) {
    if (buffer_.size() - nest > UINT16_MAX)
        throw IpvsError("IPVS: a nested attribute is too long", EMSGSIZE);
    reinterpret_cast<nlattr*>(buffer_.data() + nest)->nla_len =
        static_cast<std::uint16_t>(buffer_.size() - nest);
}

void send(nl_sock* socket, std::span<const unsigned char> requests, const std::string& what) {
    // nl_sendto only reads the bytes; its parameter is not const.
    if (int rc = nl_sendto(socket, const_cast<unsigned char*>(requests.data()), requests.size());
        rc < 0)
        throw IpvsError(fmt::format("{}: {}", what, nl_geterror(rc)), 0);
}

void put_address(Request& request, int type, const Address& address) {
    unsigned char raw[16] = {};
    if (address.is_v4()) {
        auto b = address.to_v4().to_bytes();
        std::memcpy(raw, b.data(), 4);
    } else if (address.is_v6()) {
        auto b = address.to_v6().to_bytes();
        std::memcpy(raw, b.data(), 16);
    }
    request.put(type, raw, sizeof raw);
}

namespace {
void put_service_key(Request& request, const ServiceKey& key) {
    request.put_u16(IPVS_SVC_ATTR_AF, static_cast<std::uint16_t>(key.family));
    if (key.fwmark) {
        request.put_u32(IPVS_SVC_ATTR_FWMARK, key.fwmark);
    } else {
        request.put_u16(IPVS_SVC_ATTR_PROTOCOL, key.protocol);
        put_address(request, IPVS_SVC_ATTR_ADDR, key.address);
        request.put_u16(IPVS_SVC_ATTR_PORT, htons(key.port));
    }
}
}  // namespace

void put_service(Request& request, const Service& s, bool settings) {
    const auto nest = request.nest_start(IPVS_CMD_ATTR_SERVICE);
    put_service_key(request, s.key);
    if (settings) {
        request.put_string(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler);
        ip_vs_flags flags{s.flags & kSettableFlags, ~0u};
        request.put(IPVS_SVC_ATTR_FLAGS, &flags, sizeof flags);
        request.put_u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout);
        request.put_u32(IPVS_SVC_ATTR_NETMASK, wire_netmask(s.key.family, s.netmask));
        if (!s.persistence_engine.empty())
            request.put_string(IPVS_SVC_ATTR_PE_NAME, s.persistence_engine);
    }
    request.nest_end(nest);
}

}  // namespace directord::ipvs::wire
