// The checks of UDP and DNS services and of the host itself (ping).
#include <fmt/format.h>
#include <re2/re2.h>

#include <array>
#include <cctype>

#include "sections.hpp"

namespace directord::config::detail {
namespace {

// "0a 0b:0c0d" -> bytes; spaces and colons separate nothing.
std::optional<std::string> read_hex(Reader& r, const YAML::Node& node, const std::string& path) {
    auto text = r.string(node, path);
    if (!text) return text;
    std::string digits;
    for (char c : *text)
        if (c != ' ' && c != ':') digits += c;
    std::string bytes;
    bool ok = !digits.empty() && digits.size() % 2 == 0;
    for (std::size_t i = 0; ok && i < digits.size(); i += 2) {
        unsigned value = 0;
        auto [end, err] = std::from_chars(digits.data() + i, digits.data() + i + 2, value, 16);
        ok = err == std::errc{} && end == digits.data() + i + 2;
        bytes += static_cast<char>(value);
    }
    if (!ok) {
        r.fail(node, path, fmt::format("'{}' is not a hex string (e.g. 'de ad be ef')", *text));
        return std::nullopt;
    }
    return bytes;
}

struct Named {
    std::string_view name;
    std::uint16_t value;
};
constexpr std::array kDnsTypes{Named{"A", 1},      Named{"NS", 2},     Named{"CNAME", 5},
                               Named{"SOA", 6},    Named{"PTR", 12},   Named{"MX", 15},
                               Named{"TXT", 16},   Named{"AAAA", 28},  Named{"SRV", 33},
                               Named{"RRSIG", 46}, Named{"DNSKEY", 48}};
constexpr std::array kRcodes{Named{"NOERROR", 0},  Named{"FORMERR", 1}, Named{"SERVFAIL", 2},
                             Named{"NXDOMAIN", 3}, Named{"NOTIMP", 4},  Named{"REFUSED", 5}};

template <std::size_t N>
std::optional<std::uint16_t> read_named(Reader& r, const YAML::Node& node, const std::string& path,
                                        const std::array<Named, N>& table) {
    auto text = r.string(node, path);
    if (!text) return std::nullopt;
    std::string upper;
    for (char c : *text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string names;
    for (const auto& entry : table) {
        if (upper == entry.name) return entry.value;
        names += (names.empty() ? "" : ", ") + std::string(entry.name);
    }
    r.fail(node, path, fmt::format("'{}' is not one of {}", *text, names));
    return std::nullopt;
}

// A domain name as it goes on the wire: labels of 1..63 characters, 253 in all; "." is the root.
std::optional<std::string> read_domain(Reader& r, const YAML::Node& node, const std::string& path) {
    auto text = r.string(node, path);
    if (!text || *text == ".") return text;
    std::string name = *text;
    if (!name.empty() && name.back() == '.') name.pop_back();
    bool ok = !name.empty() && name.size() <= 253;
    for (std::size_t start = 0; ok && start <= name.size();) {
        auto dot = name.find('.', start);
        auto length = (dot == std::string::npos ? name.size() : dot) - start;
        ok = length >= 1 && length <= 63;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (!ok) {
        r.fail(node, path,
               fmt::format("'{}' is not a domain name (labels of 1 to 63 characters)", *text));
        return std::nullopt;
    }
    return name;
}

}  // namespace

std::optional<std::string> read_regex(Reader& r, const YAML::Node& node, const std::string& path) {
    auto value = r.string(node, path);
    if (value) {
        RE2 compiled(*value, RE2::Quiet);
        if (!compiled.ok()) {
            r.fail(
                node, path,
                fmt::format("not a valid regular expression (RE2 syntax): {}", compiled.error()));
            value.reset();
        }
    }
    return value;
}

UdpCheck read_udp(Reader& r, const YAML::Node& node, const std::string& path) {
    UdpCheck u;
    if (node.IsNull() || !r.is_map(node, path)) return u;
    r.reject_unknown_keys(node, path,
                          {"payload", "payload_hex", "require_reply", "reply_hex", "reply_regex"});
    if (node["payload"] && node["payload_hex"])
        r.fail(node, path, "give payload or payload_hex, not both");
    r.optional_string(node, path, "payload", u.payload);
    r.optional_key(node, path, "payload_hex", u.payload,
                   [&](auto& n, auto p) { return read_hex(r, n, p); });
    r.optional_boolean(node, path, "require_reply", u.require_reply);
    r.optional_key(node, path, "reply_hex", u.reply_prefix,
                   [&](auto& n, auto p) { return read_hex(r, n, p); });
    r.optional_key(node, path, "reply_regex", u.reply_regex,
                   [&](auto& n, auto p) { return read_regex(r, n, p); });
    if ((!u.reply_prefix.empty() || !u.reply_regex.empty()) && !u.require_reply) {
        if (node["require_reply"])
            r.fail(node, path, "reply_hex and reply_regex need require_reply: true");
        u.require_reply = true;
    }
    return u;
}

DnsCheck read_dns(Reader& r, const YAML::Node& node, const std::string& path) {
    DnsCheck d;
    if (node.IsNull() || !r.is_map(node, path)) return d;
    r.reject_unknown_keys(node, path, {"name", "type", "transport", "rcode", "require_answer"});
    r.optional_key(node, path, "name", d.name,
                   [&](auto& n, auto p) { return read_domain(r, n, p); });
    r.optional_key(node, path, "type", d.type,
                   [&](auto& n, auto p) { return read_named(r, n, p, kDnsTypes); });
    r.optional_key(node, path, "transport", d.transport, [&](auto& n, auto p) {
        auto tcp = r.either(n, p, "udp", "tcp");
        return tcp ? std::optional(*tcp ? DnsTransport::tcp : DnsTransport::udp) : std::nullopt;
    });
    if (auto n = node["rcode"]) {
        auto p = Reader::join(path, "rcode");
        auto one = [&](auto& x, auto q) -> std::optional<std::uint8_t> {
            auto v = read_named(r, x, q, kRcodes);
            return v ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(*v)) : std::nullopt;
        };
        if (n.IsScalar()) {
            if (auto v = one(n, p)) d.rcodes = {*v};
        } else {
            d.rcodes = read_list<std::uint8_t>(r, n, p, one);
            if (d.rcodes.empty()) r.fail(n, p, "give at least one rcode");
        }
    }
    r.optional_boolean(node, path, "require_answer", d.require_answer);
    return d;
}

PingCheck read_ping(Reader& r, const YAML::Node& node, const std::string& path) {
    if (!node.IsNull() && r.is_map(node, path)) r.reject_unknown_keys(node, path, {});
    return {};
}

}  // namespace directord::config::detail
