// A virtual server's `group` (keepalived's virtual_server_group): the IPVS services that share
// its real servers. Each entry is one of
//   { address: 10.0.0.100, port: 80 }                   one service
//   { address: 10.0.0.101-10.0.0.104, port: 443 }        a range of addresses (also 10.0.0.101-104)
//   { address: 10.0.0.8/29, port: 80 }                   every address of a prefix
//   { address: 10.0.0.100, port: 8000-8003 }             a range of ports
//   { fwmark: 7 }                                        a firewall mark
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <variant>

#include "sections.hpp"

namespace directord::config::detail {
namespace {

// More services than this in one group is a typo (a /16 is 65,536 IPVS services).
constexpr std::size_t kMaxGroupServices = 1024;

__extension__ typedef unsigned __int128 Wide;  // IPv6 addresses as numbers

Wide to_number(const IpAddress& a) {
    if (a.is_v4()) return a.to_v4().to_uint();
    Wide n = 0;
    for (auto byte : a.to_v6().to_bytes()) n = n << 8 | byte;
    return n;
}

IpAddress from_number(Wide n, bool v6) {
    if (!v6) return boost::asio::ip::address_v4(static_cast<std::uint32_t>(n));
    boost::asio::ip::address_v6::bytes_type bytes;
    for (auto i = bytes.size(); i-- > 0; n >>= 8) bytes[i] = static_cast<unsigned char>(n);
    return boost::asio::ip::address_v6(bytes);
}

struct AddressRange {
    IpAddress first;
    Wide count = 1;
};

// "A", "A-B", "A-N" (N replaces A's last byte, IPv6: its last group) or "A/prefix" (host bits
// zero); an error message otherwise.
std::variant<AddressRange, std::string> parse_range(const std::string& text) {
    auto bad = [&](std::string_view why) { return fmt::format("'{}': {}", text, why); };
    auto split = text.find_first_of("-/");
    auto first_address = parse_address(std::string_view(text).substr(0, split));
    if (!first_address) return bad("not an address, ADDRESS-LAST or ADDRESS/PREFIX");
    const auto first = *first_address;
    const bool v6 = first.is_v6();
    const unsigned bits = v6 ? 128 : 32;
    const Wide start = to_number(first);
    if (split == std::string::npos) return AddressRange{first, 1};
    auto rest = text.substr(split + 1);
    auto whole = [&](unsigned& value, int base) {
        auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), value, base);
        return err == std::errc{} && end == rest.data() + rest.size();
    };
    unsigned value = 0;
    if (text[split] == '/') {
        if (!whole(value, 10) || value == 0 || value > bits) return bad("not a prefix length");
        Wide host = value == bits ? 0 : ((Wide{1} << (bits - value)) - 1);
        if (start & host) return bad("the address has bits set beyond the prefix");
        return AddressRange{first, host + 1};
    }
    const bool short_form = whole(value, v6 ? 16 : 10);
    Wide last = 0;
    if (short_form) {
        const unsigned part = v6 ? 16 : 8;
        if (value >> part) return bad("the range's end is out of range");
        last = (start >> part << part) | value;
    } else {
        auto end_address = parse_address(rest);
        if (!end_address || end_address->is_v6() != v6)
            return bad("the range's end is not an address of its family");
        last = to_number(*end_address);
    }
    if (last < start) return bad("the range ends before it starts");
    return AddressRange{first, last - start + 1};
}

// "80" or "8000-8003".
std::optional<std::pair<unsigned, unsigned>> parse_ports(const std::string& text) {
    auto dash = text.find('-');
    auto number = [](std::string_view digits) -> std::optional<unsigned> {
        unsigned n = 0;
        auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (err != std::errc{} || end != digits.data() + digits.size() || n < 1 || n > 65535)
            return std::nullopt;
        return n;
    };
    auto first = number(std::string_view(text).substr(0, dash));
    auto last = dash == std::string::npos ? first : number(std::string_view(text).substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    return std::pair{*first, *last};
}

}  // namespace

std::vector<Frontend> read_group(Reader& r, const YAML::Node& node, const std::string& path) {
    std::vector<Frontend> group;
    if (!r.is_sequence(node, path)) return group;
    if (node.size() == 0) r.fail(node, path, "a group needs at least one entry");
    for (std::size_t i = 0; i < node.size(); ++i) {
        auto e = node[i];
        auto ep = Reader::index(path, i);
        if (!r.is_map(e, ep)) continue;
        r.reject_unknown_keys(e, ep, {"address", "port", "fwmark"});
        if (e["fwmark"]) {
            if (e["address"] || e["port"]) {
                r.fail(e, ep,
                       "a fwmark entry has no address or port (the mark selects the traffic)");
                continue;
            }
            std::uint32_t mark = 0;
            r.optional_integer(e, ep, "fwmark", mark, 1, 0xffffffffLL);
            if (mark) group.push_back(Frontend{{}, 0, mark});
            continue;
        }
        auto a = r.required(e, ep, "address");
        auto p = r.required(e, ep, "port");
        if (!a || !p) continue;
        auto address_text = r.string(a, Reader::join(ep, "address"));
        auto port_text = r.string(p, Reader::join(ep, "port"));
        if (!address_text || !port_text) continue;
        auto range = parse_range(*address_text);
        if (auto* why = std::get_if<std::string>(&range)) {
            r.fail(a, Reader::join(ep, "address"), *why);
            continue;
        }
        auto ports = parse_ports(*port_text);
        if (!ports) {
            r.fail(p, Reader::join(ep, "port"),
                   fmt::format("'{}' is not a port (1..65535) or FIRST-LAST", *port_text));
            continue;
        }
        const auto& [first, count] = std::get<AddressRange>(range);
        Wide services = count * (ports->second - ports->first + 1);
        if (services > kMaxGroupServices - group.size()) {
            r.fail(e, ep,
                   fmt::format("a group holds at most {} services (one per address and port)",
                               kMaxGroupServices));
            break;
        }
        Wide start = to_number(first);
        for (Wide k = 0; k < count; ++k)
            for (unsigned port = ports->first; port <= ports->second; ++port)
                group.push_back(Frontend{from_number(start + k, first.is_v6()),
                                         static_cast<std::uint16_t>(port), 0});
    }
    return group;
}

}  // namespace directord::config::detail
