#include "directord/vrrp/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "directord/vrrp/io_error.hpp"

namespace directord::vrrp {
namespace {

void set_option(int fd, int level, int name, const void* value, socklen_t size,
                const std::string& what, const std::string& interface) {
    if (setsockopt(fd, level, name, value, size) != 0)
        throw errno_error("set " + what + " on VRRP socket of", interface);
}

}  // namespace

VrrpSocket::VrrpSocket(boost::asio::io_context& io, const std::string& interface, int ifindex,
                       const DropCounters& drops)
    : interface_(interface), ifindex_(ifindex), socket_(io), drops_(drops) {
    boost::system::error_code ec;
    socket_.open(boost::asio::generic::raw_protocol(AF_INET, kProtocolNumber), ec);
    if (ec) throw IoError("open VRRP socket on", interface, ec.message());
    int fd = socket_.native_handle();
    set_option(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
               static_cast<socklen_t>(interface.size()), "SO_BINDTODEVICE", interface);
    int one = 1, zero = 0, ttl = kRequiredTtl;
    set_option(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one, "IP_HDRINCL", interface);
    set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero, "IP_MULTICAST_LOOP",
               interface);
    set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl, "IP_MULTICAST_TTL", interface);
    ip_mreqn group{};
    inet_pton(AF_INET, std::string(kMulticastGroupV4).c_str(), &group.imr_multiaddr);
    group.imr_ifindex = ifindex;
    set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group, "IP_ADD_MEMBERSHIP",
               interface);
    set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, &group, sizeof group, "IP_MULTICAST_IF", interface);
    socket_.non_blocking(true);
    receive();
}

bool VrrpSocket::send(std::span<const std::uint8_t> packet,
                      const boost::asio::ip::address_v4& destination) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(destination.to_uint());
    boost::asio::generic::raw_protocol::endpoint endpoint(&to, sizeof to, kProtocolNumber);
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(packet.data(), packet.size()), endpoint, 0, ec);
    if (ec) {
        unsigned long suppressed = 0;
        if (send_log_.allow(std::chrono::steady_clock::now(), suppressed))
            log::error("{}: sending VRRP advert to {} failed: {}", interface_,
                       destination.to_string(), ec.message());
        return false;
    }
    return true;
}

void VrrpSocket::receive() {
    socket_.async_receive(boost::asio::buffer(buffer_),
                          [this](const boost::system::error_code& ec, std::size_t n) {
                              if (ec == boost::asio::error::operation_aborted) return;
                              if (!ec) on_packet(n);
                              receive();
                          });
}

void VrrpSocket::on_packet(std::size_t length) {
    auto result = decode_ipv4(std::span<const std::uint8_t>(buffer_.data(), length));
    DropReason reason;
    if (auto* received = std::get_if<Received>(&result)) {
        auto it = handlers_.find(received->advert.vrid);
        if (it != handlers_.end()) {
            it->second(*received);
            return;
        }
        // Another router's VRID on a shared segment is normal: count it, log only at debug.
        ++drops_[static_cast<std::size_t>(DropReason::unknown_vrid)];
        log::debug("{}: advert for VRID {} from {} (not ours)", interface_, received->advert.vrid,
                   received->source.to_string());
        return;
    }
    reason = std::get<DropReason>(result);
    ++drops_[static_cast<std::size_t>(reason)];
    unsigned long suppressed = 0;
    if (drop_log_.allow(static_cast<std::size_t>(reason), std::chrono::steady_clock::now(),
                        suppressed)) {
        std::string from = "?";
        if (length >= 20) {
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, buffer_.data() + 12, text, sizeof text);
            from = text;
        }
        log::warning("{}: dropped VRRP packet from {}: {} ({} similar suppressed)", interface_,
                     from, to_string(reason), suppressed);
    }
}

}  // namespace directord::vrrp
