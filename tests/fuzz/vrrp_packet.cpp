// VRRP packets from the wire: decoded or dropped with a reason.
#include <cstdint>
#include <span>

#include "directord/vrrp/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    directord::vrrp::decode_ipv4(std::span<const std::uint8_t>(data, size));
    auto source = boost::asio::ip::make_address("fe80::1");
    auto group = boost::asio::ip::make_address("ff02::12");
    directord::vrrp::decode_message(std::span<const std::uint8_t>(data, size), source, group,
                                    size ? data[0] : 255);
    return 0;
}
