#pragma once
// VRRP v2 (RFC 3768) and v3 (RFC 5798) packet codec. Pure: bytes in, values out.
// The VRRP message is handled apart from the IP header so IPv6 (whose raw sockets
// hand over the payload only) plugs in beside IPv4 without rework.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::vrrp {

using config::IpAddress;

inline constexpr std::uint8_t kProtocolNumber = 112;
inline constexpr std::uint8_t kRequiredTtl = 255;
inline constexpr std::string_view kMulticastGroupV4 = "224.0.0.18";
inline constexpr std::string_view kMulticastGroupV6 = "ff02::12";

struct Advert {
    int version = 3;
    std::uint8_t vrid = 0;
    std::uint8_t priority = 0;
    // v2 carries whole seconds, v3 centiseconds; kept here in centiseconds for both.
    std::uint16_t interval_cs = 100;
    config::AuthType auth_type = config::AuthType::none;  // v2 only
    std::array<std::uint8_t, 8> auth_data{};              // v2 only: always 8 bytes on the wire
    std::vector<IpAddress> addresses;
    bool operator==(const Advert&) const = default;
};

// Every reason a received packet is dropped; each has its own counter.
enum class DropReason {
    truncated,
    bad_ttl,
    bad_version,
    bad_type,
    bad_length,
    bad_checksum,
    bad_interval,  // v3 interval 0: a master-down interval of 0 would mean instant take-over
    unknown_vrid,
    version_mismatch,
    auth_type_mismatch,
    auth_mismatch,
    interval_mismatch,
    address_mismatch,
    not_a_peer,
    count_  // number of reasons; keep last
};
std::string_view to_string(DropReason reason);

struct Received {
    IpAddress source;
    IpAddress destination;
    Advert advert;
};

using DecodeResult = std::variant<Received, DropReason>;

// A whole IPv4 packet as a raw IPPROTO_VRRP socket delivers it.
DecodeResult decode_ipv4(std::span<const std::uint8_t> packet);
// The VRRP message alone, with the addressing taken from the IP layer.
DecodeResult decode_message(std::span<const std::uint8_t> message, const IpAddress& source,
                            const IpAddress& destination, std::uint8_t ttl_or_hop_limit);

// The VRRP message with its checksum (v3: over the pseudo-header of source/destination).
std::vector<std::uint8_t> encode_message(const Advert& advert, const IpAddress& source,
                                         const IpAddress& destination);
// A whole IPv4 packet as keepalived emits it: TOS 0xc0, TTL 255, DF clear, no options.
std::vector<std::uint8_t> encode_ipv4(const Advert& advert,
                                      const boost::asio::ip::address_v4& source,
                                      const boost::asio::ip::address_v4& destination,
                                      std::uint16_t ip_id);

// The sum of the pseudo-header a checksum over IP covers (IPv4: RFC 791; IPv6: RFC 8200 §8.1):
// VRRPv3 (RFC 5798 §5.2.8) and ICMPv6 use it.
std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination,
                                std::size_t length, std::uint8_t next_header);
// RFC 1071 Internet checksum over `data`, starting from a partial `sum`.
std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t sum = 0);

// What a configured instance accepts (RFC 3768 / 5798 §7.1 receive rules past the codec).
struct Expectation {
    int version = 3;
    config::Auth auth;
    std::uint16_t interval_cs = 100;
    std::vector<IpAddress> addresses;
};
// nullptr-like empty result = accept. The address-set check is waived for an owner (prio 255).
std::optional<DropReason> check_against(const Advert& advert, const Expectation& expected);

// The PASS auth bytes for a password (zero padded).
std::array<std::uint8_t, 8> pass_auth_data(std::string_view password);

}  // namespace directord::vrrp
