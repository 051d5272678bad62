#pragma once
// What the Client and the TableReader share: a socket to the kernel's IPVS generic-netlink
// family, and how a request names a service.
#include <netlink/msg.h>

#include <memory>

#include "directord/ipvs/table.hpp"

struct nl_sock;

namespace directord::ipvs::wire {

using Socket = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;
struct Connection {
    Socket socket;
    int family;  // the IPVS family's number
};
// Throws IpvsError when the kernel has no IPVS.
Connection connect();

// The kernel takes every address as a 16-byte union_nf_inet_addr.
void put_address(nl_msg* msg, int type, const Address& address);
void put_service_key(nl_msg* msg, const ServiceKey& key);

}  // namespace directord::ipvs::wire
