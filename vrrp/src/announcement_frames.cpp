#include <algorithm>

#include "directord/vrrp/announcer.hpp"
#include "directord/vrrp/packet.hpp"

namespace directord::vrrp {

std::vector<std::uint8_t> build_garp_frame(const MacAddress& mac,
                                           const boost::asio::ip::address_v4& vip) {
    std::vector<std::uint8_t> f(42, 0);
    auto ip = vip.to_bytes();
    std::fill_n(f.begin(), 6, 0xff);                    // Ethernet destination: broadcast
    std::copy(mac.begin(), mac.end(), f.begin() + 6);   // Ethernet source
    f[12] = 0x08, f[13] = 0x06;                         // ARP
    f[14] = 0x00, f[15] = 0x01;                         // hardware: Ethernet
    f[16] = 0x08, f[17] = 0x00;                         // protocol: IPv4
    f[18] = 6, f[19] = 4;                               // address sizes
    f[20] = 0x00, f[21] = 0x01;                         // request
    std::copy(mac.begin(), mac.end(), f.begin() + 22);  // sender MAC
    std::copy(ip.begin(), ip.end(), f.begin() + 28);    // sender IP = VIP
    std::fill_n(f.begin() + 32, 6, 0xff);               // target MAC: broadcast
    std::copy(ip.begin(), ip.end(), f.begin() + 38);    // target IP = VIP
    return f;
}

std::vector<std::uint8_t> build_unsolicited_na_frame(const MacAddress& mac,
                                                     const boost::asio::ip::address_v6& vip,
                                                     bool router) {
    constexpr std::size_t kIp = 14, kIcmp = kIp + 40, kLength = 32;  // NA 24 + option 8
    constexpr std::uint8_t kIcmpV6 = 58;
    std::vector<std::uint8_t> f(kIcmp + kLength, 0);
    auto ip = vip.to_bytes();
    const std::array<std::uint8_t, 16> all_nodes{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                 0,    0,    0, 0, 0, 0, 0, 1};
    f[0] = 0x33, f[1] = 0x33, f[5] = 0x01;                 // to 33:33:00:00:00:01
    std::copy(mac.begin(), mac.end(), f.begin() + 6);      // Ethernet source
    f[12] = 0x86, f[13] = 0xdd;                            // IPv6
    f[kIp] = 0x60;                                         // version 6
    f[kIp + 5] = kLength;                                  // payload length
    f[kIp + 6] = kIcmpV6;                                  // next header
    f[kIp + 7] = 255;                                      // hop limit (RFC 4861 §7.1.2)
    std::copy(ip.begin(), ip.end(), f.begin() + kIp + 8);  // source: the VIP
    std::copy(all_nodes.begin(), all_nodes.end(), f.begin() + kIp + 24);  // to ff02::1
    f[kIcmp] = 136;                                                       // neighbour advertisement
    f[kIcmp + 4] = static_cast<std::uint8_t>((router ? 0x80 : 0) | 0x20);  // R, O; never S
    std::copy(ip.begin(), ip.end(), f.begin() + kIcmp + 8);                // target: the VIP
    f[kIcmp + 24] = 2, f[kIcmp + 25] = 1;  // target link-layer address
    std::copy(mac.begin(), mac.end(), f.begin() + kIcmp + 26);
    auto checksum = internet_checksum(
        std::span(f).subspan(kIcmp),
        pseudo_header_sum(vip, boost::asio::ip::address_v6(all_nodes), kLength, kIcmpV6));
    f[kIcmp + 2] = static_cast<std::uint8_t>(checksum >> 8);
    f[kIcmp + 3] = static_cast<std::uint8_t>(checksum);
    return f;
}

}  // namespace directord::vrrp
