#pragma once
// The kernel's sloppy TCP / SCTP (net.ipv4.vs.sloppy_tcp, sloppy_sctp; per network namespace):
// IPVS creates a connection on any packet, not only on a SYN, so that a flow moved to another
// director of a BGP tier by the router's ECMP goes on there (mh picks the same real server).
#include <optional>
#include <string>
#include <string_view>

namespace directord::ipvs {

// 1 or 0 as the kernel has it; none without IPVS.
std::optional<bool> sloppy(std::string_view protocol);  // "tcp" or "sctp"
// Sets it on if it is off (logged); an error is returned as a message.
std::optional<std::string> require_sloppy(std::string_view protocol);

}  // namespace directord::ipvs
