#pragma once
// The messages of the DNS and ping checks, built and read apart from any socket (pure, so
// every malformed answer a server might send is unit-tested).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace directord::healthcheck {

// A standard query with recursion desired for `name` ("." or "www.example.org") and `type`.
std::string dns_query(std::uint16_t id, std::string_view name, std::uint16_t type);

struct DnsAnswerHeader {
    std::uint16_t id = 0;
    bool response = false;   // QR
    bool truncated = false;  // TC
    std::uint8_t rcode = 0;
    std::uint16_t answers = 0;  // ANCOUNT
};
// The header of a DNS message; nullopt when it is shorter than a header.
std::optional<DnsAnswerHeader> read_dns_header(std::string_view message);
// "NOERROR", "NXDOMAIN", ... or "rcode 11".
std::string rcode_name(std::uint8_t rcode);

// An ICMP echo request (ICMPv6 for `ipv6`) carrying `nonce`; the checksum is filled in for
// IPv4 (over IPv6 the kernel always computes it).
std::string icmp_echo_request(bool ipv6, std::uint16_t id, std::uint16_t sequence,
                              std::uint64_t nonce);

struct EchoReply {
    std::uint16_t id = 0;
    std::uint16_t sequence = 0;
    std::uint64_t nonce = 0;
};
// The echo reply in `packet` (which starts with the IPv4 header when `with_ip_header`, as a raw
// IPv4 socket reads it); nullopt for any other ICMP message or a malformed one.
std::optional<EchoReply> read_echo_reply(bool ipv6, bool with_ip_header, std::string_view packet);

// One SMTP reply ("250-first\r\n250 last\r\n") at the start of `received`: nullopt while its last
// line has not arrived; code 0 for text that is not an SMTP reply.
struct SmtpReply {
    int code = 0;
    std::string first_line;  // without the code, for reasons
    std::size_t length = 0;  // bytes of `received` it took
};
std::optional<SmtpReply> read_smtp_reply(std::string_view received);

}  // namespace directord::healthcheck
