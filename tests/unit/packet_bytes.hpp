#pragma once
// Packet tests' helpers: bytes written as hex, the drop reason of a decode.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "directord/vrrp/packet.hpp"

namespace directord::test {

// "45c0 0028 ...": spaces and other separators are ignored.
inline std::vector<std::uint8_t> hex(const std::string& text) {
    std::vector<std::uint8_t> out;
    std::string digits;
    for (char c : text)
        if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return out;
}

// VRID 51, priority 101, as in the captures.
inline vrrp::Advert advert_51(int version, std::uint16_t interval_cs,
                              std::vector<vrrp::IpAddress> addresses) {
    vrrp::Advert a;
    a.version = version;
    a.vrid = 51;
    a.priority = 101;
    a.interval_cs = interval_cs;
    a.addresses = std::move(addresses);
    return a;
}

inline vrrp::DropReason drop_of(const vrrp::DecodeResult& r) {
    EXPECT_TRUE(std::holds_alternative<vrrp::DropReason>(r));
    return std::holds_alternative<vrrp::DropReason>(r) ? std::get<vrrp::DropReason>(r)
                                                       : vrrp::DropReason::count_;
}

}  // namespace directord::test
