#include "directord/vrrp/packet.hpp"

#include <algorithm>

namespace directord::vrrp {
namespace {

constexpr std::size_t kHeaderSize = 8;
constexpr std::size_t kV2AuthSize = 8;
constexpr std::uint8_t kTypeAdvertisement = 1;

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
void write16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint32_t add_bytes(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += read16(bytes, i);
    if (bytes.size() % 2) sum += static_cast<std::uint32_t>(bytes.back()) << 8;
    return sum;
}

std::uint32_t checksum_seed(int version, const IpAddress& source, const IpAddress& destination,
                            std::size_t length) {
    // v2 checksums the VRRP message alone; v3 adds the pseudo-header.
    return version == 3 ? pseudo_header_sum(source, destination, length, kProtocolNumber) : 0;
}

std::size_t address_size(const IpAddress& a) { return a.is_v4() ? 4 : 16; }

}  // namespace

std::string_view to_string(DropReason reason) {
    switch (reason) {
        case DropReason::truncated:
            return "truncated";
        case DropReason::bad_ttl:
            return "ttl_not_255";
        case DropReason::bad_version:
            return "bad_version";
        case DropReason::bad_type:
            return "bad_type";
        case DropReason::bad_length:
            return "bad_length";
        case DropReason::bad_checksum:
            return "bad_checksum";
        case DropReason::bad_interval:
            return "interval_zero";
        case DropReason::unknown_vrid:
            return "unknown_vrid";
        case DropReason::version_mismatch:
            return "version_mismatch";
        case DropReason::auth_type_mismatch:
            return "auth_type_mismatch";
        case DropReason::auth_mismatch:
            return "auth_mismatch";
        case DropReason::interval_mismatch:
            return "interval_mismatch";
        case DropReason::address_mismatch:
            return "address_mismatch";
        case DropReason::not_a_peer:
            return "not_a_unicast_peer";
        case DropReason::count_:
            break;
    }
    return "unknown";
}

std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination,
                                std::size_t length, std::uint8_t next_header) {
    std::uint32_t sum = 0;
    if (source.is_v4()) {
        sum = add_bytes(sum, source.to_v4().to_bytes());
        sum = add_bytes(sum, destination.to_v4().to_bytes());
    } else {
        sum = add_bytes(sum, source.to_v6().to_bytes());
        sum = add_bytes(sum, destination.to_v6().to_bytes());
    }
    return sum + next_header + static_cast<std::uint32_t>(length);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t sum) {
    sum = add_bytes(sum, data);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::array<std::uint8_t, 8> pass_auth_data(std::string_view password) {
    std::array<std::uint8_t, 8> out{};
    std::copy_n(password.begin(), std::min<std::size_t>(password.size(), out.size()), out.begin());
    return out;
}

DecodeResult decode_message(std::span<const std::uint8_t> m, const IpAddress& source,
                            const IpAddress& destination, std::uint8_t ttl) {
    if (m.size() < kHeaderSize) return DropReason::truncated;
    if (ttl != kRequiredTtl) return DropReason::bad_ttl;
    Advert a;
    a.version = m[0] >> 4;
    if (a.version != 2 && a.version != 3) return DropReason::bad_version;
    if (a.version == 2 && source.is_v6()) return DropReason::bad_version;
    if ((m[0] & 0x0f) != kTypeAdvertisement) return DropReason::bad_type;
    a.vrid = m[1];
    a.priority = m[2];
    const std::size_t count = m[3];
    const std::size_t addr_size = source.is_v4() ? 4 : 16;
    const std::size_t expected =
        kHeaderSize + count * addr_size + (a.version == 2 ? kV2AuthSize : 0);
    if (m.size() != expected) return DropReason::bad_length;
    if (internet_checksum(m, checksum_seed(a.version, source, destination, m.size())) != 0)
        return DropReason::bad_checksum;
    if (a.version == 2) {
        a.auth_type = m[4] == 1 ? config::AuthType::pass : config::AuthType::none;
        if (m[4] > 1)
            return DropReason::auth_type_mismatch;  // type 2 (AH) is deprecated: not spoken
        a.interval_cs = static_cast<std::uint16_t>(m[5] * 100);
        std::copy_n(m.begin() + static_cast<long>(kHeaderSize + count * addr_size), kV2AuthSize,
                    a.auth_data.begin());
    } else {
        a.interval_cs = read16(m, 4) & 0x0fff;
        if (a.interval_cs == 0) return DropReason::bad_interval;
    }
    for (std::size_t i = 0; i < count; ++i) {
        auto at = m.subspan(kHeaderSize + i * addr_size, addr_size);
        if (addr_size == 4) {
            boost::asio::ip::address_v4::bytes_type b;
            std::copy(at.begin(), at.end(), b.begin());
            a.addresses.emplace_back(boost::asio::ip::address_v4(b));
        } else {
            boost::asio::ip::address_v6::bytes_type b;
            std::copy(at.begin(), at.end(), b.begin());
            a.addresses.emplace_back(boost::asio::ip::address_v6(b));
        }
    }
    return Received{source, destination, std::move(a)};
}

DecodeResult decode_ipv4(std::span<const std::uint8_t> p) {
    if (p.size() < 20) return DropReason::truncated;
    if (p[0] >> 4 != 4) return DropReason::bad_version;
    std::size_t header_len = (p[0] & 0x0f) * 4u;
    std::size_t total_len = read16(p, 2);
    if (header_len < 20 || total_len < header_len || total_len > p.size())
        return DropReason::truncated;
    if (p[9] != kProtocolNumber) return DropReason::bad_type;
    boost::asio::ip::address_v4::bytes_type src, dst;
    std::copy_n(p.begin() + 12, 4, src.begin());
    std::copy_n(p.begin() + 16, 4, dst.begin());
    return decode_message(p.subspan(header_len, total_len - header_len),
                          boost::asio::ip::address_v4(src), boost::asio::ip::address_v4(dst), p[8]);
}

std::vector<std::uint8_t> encode_message(const Advert& a, const IpAddress& source,
                                         const IpAddress& destination) {
    std::size_t addr_bytes = 0;
    for (const auto& addr : a.addresses) addr_bytes += address_size(addr);
    std::vector<std::uint8_t> m(kHeaderSize + addr_bytes + (a.version == 2 ? kV2AuthSize : 0));
    m[0] = static_cast<std::uint8_t>(a.version << 4 | kTypeAdvertisement);
    m[1] = a.vrid;
    m[2] = a.priority;
    m[3] = static_cast<std::uint8_t>(a.addresses.size());
    if (a.version == 2) {
        m[4] = a.auth_type == config::AuthType::pass ? 1 : 0;
        m[5] = static_cast<std::uint8_t>(a.interval_cs / 100);
    } else {
        write16(m, 4, a.interval_cs & 0x0fff);
    }
    std::size_t at = kHeaderSize;
    for (const auto& addr : a.addresses) {
        if (addr.is_v4()) {
            auto b = addr.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), m.begin() + static_cast<long>(at));
        } else {
            auto b = addr.to_v6().to_bytes();
            std::copy(b.begin(), b.end(), m.begin() + static_cast<long>(at));
        }
        at += address_size(addr);
    }
    if (a.version == 2 && a.auth_type == config::AuthType::pass)
        std::copy(a.auth_data.begin(), a.auth_data.end(), m.begin() + static_cast<long>(at));
    write16(m, 6, internet_checksum(m, checksum_seed(a.version, source, destination, m.size())));
    return m;
}

std::vector<std::uint8_t> encode_ipv4(const Advert& a, const boost::asio::ip::address_v4& source,
                                      const boost::asio::ip::address_v4& destination,
                                      std::uint16_t ip_id) {
    auto message = encode_message(a, source, destination);
    std::vector<std::uint8_t> p(20 + message.size());
    p[0] = 0x45;
    p[1] = 0xc0;  // DSCP CS6 (network control), as keepalived and routers send VRRP
    write16(p, 2, static_cast<std::uint16_t>(20 + message.size()));
    write16(p, 4, ip_id);
    p[8] = kRequiredTtl;
    p[9] = kProtocolNumber;
    auto s = source.to_bytes();
    auto d = destination.to_bytes();
    std::copy(s.begin(), s.end(), p.begin() + 12);
    std::copy(d.begin(), d.end(), p.begin() + 16);
    write16(p, 10, internet_checksum(std::span(p).first(20)));
    std::copy(message.begin(), message.end(), p.begin() + 20);
    return p;
}

std::optional<DropReason> check_against(const Advert& a, const Expectation& e) {
    if (a.version != e.version) return DropReason::version_mismatch;
    if (a.version == 2) {
        if (a.auth_type != e.auth.type) return DropReason::auth_type_mismatch;
        if (a.auth_type == config::AuthType::pass && a.auth_data != pass_auth_data(e.auth.password))
            return DropReason::auth_mismatch;
        // RFC 3768 §7.1: a v2 router MUST drop adverts whose interval differs from its own.
        if (a.interval_cs != e.interval_cs) return DropReason::interval_mismatch;
    }
    // RFC 3768/5798 §7.1: a VIP set that differs is dropped unless it comes from the owner.
    // Order does not matter; no allocation on this per-packet path.
    if (a.priority != 255 &&
        (a.addresses.size() != e.addresses.size() ||
         !std::is_permutation(a.addresses.begin(), a.addresses.end(), e.addresses.begin())))
        return DropReason::address_mismatch;
    return std::nullopt;
}

}  // namespace directord::vrrp
