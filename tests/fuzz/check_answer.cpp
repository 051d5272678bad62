// Answers to the DNS, ping and SMTP checks as any server or host might send them: read without
// reading past the message, and a reply read back gives the fields it was built from.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "directord/healthcheck/wire_messages.hpp"

using namespace directord::healthcheck;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto header = read_dns_header(in)) (void)rcode_name(header->rcode);
    if (auto reply = read_smtp_reply(in); reply && (reply->length == 0 || reply->length > size))
        std::abort();
    for (bool ipv6 : {false, true})
        for (bool with_ip_header : {false, true}) (void)read_echo_reply(ipv6, with_ip_header, in);
    if (size >= 12) {
        std::uint16_t id = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
        std::uint64_t nonce = 0;
        for (int i = 4; i < 12; ++i) nonce = nonce << 8 | data[i];
        auto request = icmp_echo_request(true, id, data[2], nonce);
        request[0] = static_cast<char>(129);  // as the host echoes it
        auto reply = read_echo_reply(true, false, request);
        if (!reply || reply->id != id || reply->sequence != data[2] || reply->nonce != nonce)
            std::abort();
    }
    return 0;
}
