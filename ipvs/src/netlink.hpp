#pragma once
// What the Client and the TableReader share: a socket to the kernel's IPVS generic-netlink
// family, and how a request is made and names a service.
#include <netlink/msg.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "directord/ipvs/table.hpp"

struct nl_sock;

namespace directord::ipvs::wire {

using Socket = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;
Socket open();  // connected to generic netlink
// The IPVS family's number; throws IpvsError when the kernel has no IPVS.
int resolve_family(nl_sock* socket);

// Requests (one, or a batch) in one datagram; throws IpvsError naming `what`.
void send(nl_sock* socket, std::span<const unsigned char> requests, const std::string& what);

// One IPVS request, written at the end of a byte buffer that may already hold others (a batch
// in one datagram). No allocation per request: libnl's message per change was most of the
// client's own time at 50,000 changes.
class Request {
  public:
    using Bytes = std::vector<unsigned char>;
    // `buffer`'s bytes stay in front of this request (give a batch's to append to it).
    Request(nl_sock* socket, int family, std::uint8_t command, int flags, std::uint32_t sequence,
            Bytes buffer = {});

    void put(int type, const void* data, std::size_t size);
    void put_u8(int type, std::uint8_t value) { put(type, &value, sizeof value); }
    void put_u16(int type, std::uint16_t value) { put(type, &value, sizeof value); }
    void put_u32(int type, std::uint32_t value) { put(type, &value, sizeof value); }
    void put_string(int type, const std::string& value) {
        put(type, value.c_str(), value.size() + 1);
    }
    std::size_t nest_start(int type);  // returns what nest_end takes
    void nest_end(std::size_t nest);

    // Invalidated when the buffer grows (the next put).
    nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data() + start_); }
    std::uint32_t sequence() { return header()->nlmsg_seq; }
    // Sends this request and those in front of it in one datagram.
    void send(nl_sock* socket, const std::string& what) { wire::send(socket, buffer_, what); }
    Bytes take() && { return std::move(buffer_); }

  private:
    Bytes buffer_;
    std::size_t start_;
};

// The kernel takes every address as a 16-byte union_nf_inet_addr.
void put_address(Request& request, int type, const Address& address);
// The service attribute; with its settings (scheduler, flags, ...) or only its key.
void put_service(Request& request, const Service& service, bool settings);

}  // namespace directord::ipvs::wire
