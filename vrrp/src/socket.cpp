#include "directord/vrrp/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "directord/io_error.hpp"

namespace directord::vrrp {
namespace {

constexpr int kNetworkControlClass = 0xc0;  // DSCP CS6, as keepalived and routers send VRRP

void set_option(int fd, int level, int name, const void* value, socklen_t size,
                const std::string& what, const std::string& interface) {
    if (setsockopt(fd, level, name, value, size) != 0)
        throw errno_error("set " + what + " on VRRP socket of", interface);
}

boost::asio::ip::address_v6 to_address(const in6_addr& raw) {
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), raw.s6_addr, bytes.size());
    return boost::asio::ip::address_v6(bytes);
}

in6_addr to_raw(const boost::asio::ip::address_v6& address) {
    in6_addr raw{};
    auto bytes = address.to_bytes();
    std::memcpy(raw.s6_addr, bytes.data(), bytes.size());
    return raw;
}

}  // namespace

VrrpSocket::VrrpSocket(boost::asio::io_context& io, const std::string& interface, int ifindex,
                       bool ipv6, const DropCounters& drops)
    : interface_(interface), ifindex_(ifindex), ipv6_(ipv6), socket_(io), drops_(drops) {
    boost::system::error_code ec;
    socket_.open(boost::asio::generic::raw_protocol(ipv6 ? AF_INET6 : AF_INET, kProtocolNumber),
                 ec);
    if (ec) throw IoError("open VRRP socket on", interface, ec.message());
    set_option(socket_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
               static_cast<socklen_t>(interface.size()), "SO_BINDTODEVICE", interface);
    if (ipv6)
        open_ipv6();
    else
        open_ipv4();
    socket_.non_blocking(true);
    receive();
}

void VrrpSocket::set_int_options(int level, std::initializer_list<IntOption> options) {
    for (const auto& o : options)
        set_option(socket_.native_handle(), level, o.name, &o.value, sizeof o.value, o.what,
                   interface_);
}

void VrrpSocket::open_ipv4() {
    set_int_options(IPPROTO_IP, {{IP_HDRINCL, 1, "IP_HDRINCL"},
                                 {IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP"},
                                 {IP_MULTICAST_TTL, kRequiredTtl, "IP_MULTICAST_TTL"}});
    ip_mreqn group{};
    inet_pton(AF_INET, std::string(kMulticastGroupV4).c_str(), &group.imr_multiaddr);
    group.imr_ifindex = ifindex_;
    int fd = socket_.native_handle();
    set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group, "IP_ADD_MEMBERSHIP",
               interface_);
    set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, &group, sizeof group, "IP_MULTICAST_IF",
               interface_);
}

void VrrpSocket::open_ipv6() {
    // No IPV6_CHECKSUM: the checksum is ours to compute and verify, so a bad one is counted,
    // not silently eaten by the kernel.
    set_int_options(IPPROTO_IPV6, {{IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"},
                                   {IPV6_MULTICAST_HOPS, kRequiredTtl, "IPV6_MULTICAST_HOPS"},
                                   {IPV6_UNICAST_HOPS, kRequiredTtl, "IPV6_UNICAST_HOPS"},
                                   {IPV6_TCLASS, kNetworkControlClass, "IPV6_TCLASS"},
                                   {IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"},
                                   {IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"},
                                   {IPV6_MULTICAST_IF, ifindex_, "IPV6_MULTICAST_IF"}});
    ipv6_mreq group{};
    inet_pton(AF_INET6, std::string(kMulticastGroupV6).c_str(), &group.ipv6mr_multiaddr);
    group.ipv6mr_interface = static_cast<unsigned>(ifindex_);
    set_option(socket_.native_handle(), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &group, sizeof group,
               "IPV6_ADD_MEMBERSHIP", interface_);
}

bool VrrpSocket::send(const Advert& advert, const IpAddress& source, const IpAddress& destination) {
    std::vector<std::uint8_t> bytes;
    msghdr message{};
    iovec part{};
    sockaddr_storage to{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
    if (destination.is_v4()) {
        bytes = encode_ipv4(advert, source.to_v4(), destination.to_v4(), ++ip_id_);
        auto* sin = reinterpret_cast<sockaddr_in*>(&to);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(destination.to_v4().to_uint());
        message.msg_namelen = sizeof(sockaddr_in);
    } else {
        bytes = encode_message(advert, source, destination);
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = to_raw(destination.to_v6());
        sin6->sin6_scope_id = static_cast<unsigned>(ifindex_);
        message.msg_namelen = sizeof(sockaddr_in6);
        // The checksum covers the source: the kernel must send from the one we summed.
        message.msg_control = control.data();
        message.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        info.ipi6_addr = to_raw(source.to_v6());
        info.ipi6_ifindex = static_cast<unsigned>(ifindex_);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    part.iov_base = bytes.data();
    part.iov_len = bytes.size();
    message.msg_name = &to;
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    if (sendmsg(socket_.native_handle(), &message, 0) >= 0) return true;
    int error = errno;
    unsigned long suppressed = 0;
    if (send_log_.allow(std::chrono::steady_clock::now(), suppressed))
        log::error("{}: sending VRRP advert from {} to {} failed: {} ({} similar suppressed)",
                   interface_, source.to_string(), destination.to_string(), std::strerror(error),
                   suppressed);
    return false;
}

void VrrpSocket::receive() {
    socket_.async_wait(boost::asio::socket_base::wait_read,
                       [this](const boost::system::error_code& ec) {
                           if (ec == boost::asio::error::operation_aborted) return;
                           // Bounded: a flood cannot hold the loop for more than a batch.
                           for (int i = 0; i < 64 && read_one(); ++i) {
                           }
                           receive();
                       });
}

bool VrrpSocket::read_one() {
    sockaddr_in6 from{};
    iovec part{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) std::array<char, 128> control{};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    ssize_t n = recvmsg(socket_.native_handle(), &message, MSG_DONTWAIT);
    if (n < 0) return false;
    auto bytes = std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n));
    if (!ipv6_) {
        std::string source = "?";
        if (bytes.size() >= 20) {
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
            source = text;
        }
        dispatch(decode_ipv4(bytes), source);
        return true;
    }
    // IPv6 raw sockets hand over the payload only: hop limit and destination come as ancillary
    // data. A packet without them cannot be judged and counts as a bad hop limit.
    auto source = to_address(from.sin6_addr);
    std::optional<boost::asio::ip::address_v6> destination;
    int hop_limit = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int)))
            std::memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
        else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
            in6_pktinfo info{};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            destination = to_address(info.ipi6_addr);
        }
    }
    if (!destination || hop_limit < 0 || hop_limit > 255) {
        dispatch(DropReason::bad_ttl, source.to_string());
        return true;
    }
    dispatch(decode_message(bytes, source, *destination, static_cast<std::uint8_t>(hop_limit)),
             source.to_string());
    return true;
}

void VrrpSocket::dispatch(const DecodeResult& result, const std::string& from) {
    if (auto* received = std::get_if<Received>(&result)) {
        auto it = handlers_.find(received->advert.vrid);
        if (it != handlers_.end()) {
            it->second(*received);
            return;
        }
        // Another router's VRID on a shared segment is normal: count it, log only at debug.
        ++drops_[static_cast<std::size_t>(DropReason::unknown_vrid)];
        log::debug("{}: advert for VRID {} from {} (not ours)", interface_, received->advert.vrid,
                   from);
        return;
    }
    auto reason = std::get<DropReason>(result);
    ++drops_[static_cast<std::size_t>(reason)];
    unsigned long suppressed = 0;
    if (drop_log_.allow(static_cast<std::size_t>(reason), std::chrono::steady_clock::now(),
                        suppressed))
        log::warning("{}: dropped VRRP packet from {}: {} ({} similar suppressed)", interface_,
                     from, to_string(reason), suppressed);
}

}  // namespace directord::vrrp
