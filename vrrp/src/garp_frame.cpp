#include <algorithm>

#include "directord/vrrp/garp.hpp"

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

}  // namespace directord::vrrp
