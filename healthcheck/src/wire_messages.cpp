#include "directord/healthcheck/wire_messages.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace directord::healthcheck {
namespace {

void put16(std::string& out, std::uint16_t value) {
    out += static_cast<char>(value >> 8);
    out += static_cast<char>(value & 0xff);
}

std::uint16_t get16(std::string_view in, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(in[at]) << 8) |
                                      static_cast<std::uint8_t>(in[at + 1]));
}

constexpr std::size_t kDnsHeader = 12;
constexpr std::size_t kEchoHeader = 8;
constexpr std::uint8_t kEchoRequest4 = 8, kEchoReply4 = 0, kEchoRequest6 = 128, kEchoReply6 = 129;

}  // namespace

std::string dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
    std::string out;
    put16(out, id);
    put16(out, 0x0100);  // a standard query, recursion desired
    put16(out, 1);       // QDCOUNT
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    // Labels as the loader validated them (1..63 characters each).
    while (!name.empty() && name != ".") {
        auto dot = name.find('.');
        auto label = name.substr(0, dot);
        out += static_cast<char>(label.size());
        out += label;
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    out += '\0';
    put16(out, type);
    put16(out, 1);  // class IN
    return out;
}

std::optional<DnsAnswerHeader> read_dns_header(std::string_view message) {
    if (message.size() < kDnsHeader) return std::nullopt;
    auto flags = get16(message, 2);
    return DnsAnswerHeader{get16(message, 0), (flags & 0x8000) != 0, (flags & 0x0200) != 0,
                           static_cast<std::uint8_t>(flags & 0x000f), get16(message, 6)};
}

std::string rcode_name(std::uint8_t rcode) {
    static constexpr std::array<std::string_view, 6> names{"NOERROR",  "FORMERR", "SERVFAIL",
                                                           "NXDOMAIN", "NOTIMP",  "REFUSED"};
    return rcode < names.size() ? std::string(names[rcode]) : fmt::format("rcode {}", rcode);
}

std::string icmp_echo_request(bool ipv6, std::uint16_t id, std::uint16_t sequence,
                              std::uint64_t nonce) {
    std::string out;
    out += static_cast<char>(ipv6 ? kEchoRequest6 : kEchoRequest4);
    out += '\0';    // code
    put16(out, 0);  // checksum, below
    put16(out, id);
    put16(out, sequence);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((nonce >> shift) & 0xff);
    if (!ipv6) {
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < out.size(); i += 2) sum += get16(out, i);
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        auto checksum = static_cast<std::uint16_t>(~sum);
        out[2] = static_cast<char>(checksum >> 8);
        out[3] = static_cast<char>(checksum & 0xff);
    }
    return out;
}

std::optional<EchoReply> read_echo_reply(bool ipv6, bool with_ip_header, std::string_view packet) {
    if (with_ip_header) {
        if (packet.empty()) return std::nullopt;
        std::size_t header = (static_cast<std::uint8_t>(packet[0]) & 0x0f) * 4u;
        if (header < 20 || packet.size() < header) return std::nullopt;
        packet.remove_prefix(header);
    }
    if (packet.size() < kEchoHeader + 8) return std::nullopt;
    if (static_cast<std::uint8_t>(packet[0]) != (ipv6 ? kEchoReply6 : kEchoReply4) ||
        packet[1] != 0)
        return std::nullopt;
    EchoReply reply{get16(packet, 4), get16(packet, 6), 0};
    for (std::size_t i = 0; i < 8; ++i)
        reply.nonce = (reply.nonce << 8) | static_cast<std::uint8_t>(packet[kEchoHeader + i]);
    return reply;
}

std::optional<SmtpReply> read_smtp_reply(std::string_view received) {
    SmtpReply reply;
    std::size_t at = 0;
    for (bool first = true;; first = false) {
        auto end = received.find('\n', at);
        if (end == std::string_view::npos) return std::nullopt;
        auto line = received.substr(at, end - at);
        if (line.ends_with('\r')) line.remove_suffix(1);
        at = end + 1;
        bool digits = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                      std::isdigit(static_cast<unsigned char>(line[1])) &&
                      std::isdigit(static_cast<unsigned char>(line[2]));
        int code = digits ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
        if (!digits || (line.size() > 3 && line[3] != '-' && line[3] != ' ') ||
            (!first && code != reply.code))
            return SmtpReply{0, std::string(line.substr(0, 80)), at};
        if (first) {
            reply.code = code;
            reply.first_line = std::string(line.size() > 4 ? line.substr(4, 80) : "");
        }
        if (line.size() == 3 || line[3] == ' ') {
            reply.length = at;
            return reply;
        }
    }
}

}  // namespace directord::healthcheck
