// The kernel's IPVS answers (generic netlink): the input is the payload of one nest, read as
// a service, a destination and a sync daemon.
#include <linux/ip_vs.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>

#include "attributes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 60000) return 0;
    std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_size(size + 1024), nlmsg_free);
    if (!msg) return 0;
    nla_put(msg.get(), IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, static_cast<int>(size), data);
    nlattr* nest = nlmsg_attrdata(nlmsg_hdr(msg.get()), 0);
    using namespace directord::ipvs::wire;
    parse_service(nest);
    parse_destination(nest, AF_INET6);
    parse_daemon(nest);
    return 0;
}
