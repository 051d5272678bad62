#pragma once
// What the Client and the TableReader share: a socket to the kernel's IPVS generic-netlink
// family, and how a request is made and names a service.
#include <netlink/msg.h>

#include <cstdint>
#include <memory>

#include "directord/ipvs/table.hpp"

struct nl_sock;

namespace directord::ipvs::wire {

using Socket = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;
using Message = std::unique_ptr<nl_msg, void (*)(nl_msg*)>;

Socket open();  // connected to generic netlink
// The IPVS family's number; throws IpvsError when the kernel has no IPVS.
int resolve_family(nl_sock* socket);

// Our largest request (a service with scheduler and engine names) is a few hundred bytes:
// libnl's default page-sized buffer would be cleared for every one of 50,000 changes.
constexpr std::size_t kMessageSize = 1024;
// An IPVS request from `socket`, with its header only.
Message request(nl_sock* socket, int family, std::uint8_t command, int flags,
                std::uint32_t sequence);

// The kernel takes every address as a 16-byte union_nf_inet_addr.
void put_address(nl_msg* msg, int type, const Address& address);
// The service attribute; with its settings (scheduler, flags, ...) or only its key.
void put_service(nl_msg* msg, const Service& service, bool settings);

}  // namespace directord::ipvs::wire
