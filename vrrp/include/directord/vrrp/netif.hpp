#pragma once
// Facts about a network interface the instance runs on.
#include <array>
#include <boost/asio/ip/address_v4.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::vrrp {

using MacAddress = std::array<std::uint8_t, 6>;

struct InterfaceInfo {
    int index = 0;
    MacAddress mac{};
    bool running = false;  // administratively up with carrier
    // The first IPv4 address that is not one of `exclude` (our VIPs): the advert source.
    std::optional<boost::asio::ip::address_v4> primary_v4;
};

// Throws IoError when the interface does not exist.
int interface_index(const std::string& name);
// Throws IoError when the interface does not exist.
InterfaceInfo query_interface(const std::string& name,
                              const std::vector<config::IpAddress>& exclude);

}  // namespace directord::vrrp
