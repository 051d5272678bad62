#pragma once
// Reading the kernel's IPVS answers. Every attribute is checked against a policy (type and
// length, strings NUL-terminated) before it is read: a malformed answer is refused whole,
// never read past its end.
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directord/ipvs/client.hpp"

namespace directord::ipvs::wire {

using Attributes = std::vector<nlattr*>;

// The top-level attributes of a generic-netlink answer: IPVS_CMD_ATTR_* (`info` false) or
// IPVS_INFO_ATTR_* (`info` true); nothing if they are malformed.
std::optional<Attributes> top_level(nlmsghdr* answer, bool info = false);
std::optional<Attributes> top_level(nl_msg* msg, bool info = false);

std::uint32_t u32(const nlattr* a);
// The kernel keeps an IPv4 persistence netmask in network byte order and an IPv6 one as a
// prefix length: the conversion is its own inverse.
std::uint32_t wire_netmask(int family, std::uint32_t netmask);

// The nests of a dump; nothing if malformed.
std::optional<Service> parse_service(nlattr* nest);
std::optional<Destination> parse_destination(nlattr* nest, int service_family);
std::optional<SyncDaemon> parse_daemon(nlattr* nest);

}  // namespace directord::ipvs::wire
