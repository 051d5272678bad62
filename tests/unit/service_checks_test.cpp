// The UDP, DNS, ping and SMTP checks: what the loader accepts and refuses, and the messages
// their probes send and read.
#include <gtest/gtest.h>

#include "directord/config/loader.hpp"
#include "directord/healthcheck/wire_messages.hpp"
#include "valid_config.hpp"

using namespace directord::config;
using namespace directord::healthcheck;

namespace {

std::string with_check(const std::string& check) {
    return "virtual_servers:\n  - address: 10.0.0.1:53\n    check: " + check +
           "\n    real_servers: [{ address: 10.0.0.2:53 }]\n";
}

std::vector<std::string> errors_of(const std::string& check) {
    auto result = load_text(with_check(check), "t.yaml");
    std::vector<std::string> out;
    if (auto* errors = std::get_if<std::vector<Error>>(&result))
        for (const auto& e : *errors) out.push_back(e.to_string());
    return out;
}

const Check& check_of(const Config& cfg) { return *cfg.virtual_servers.at(0).check; }

// The check is refused with exactly this one message.
void expect_only_error(const std::string& check, const std::string& message) {
    EXPECT_EQ(errors_of(check), std::vector<std::string>{message}) << check;
}

}  // namespace

TEST(DatagramChecks, UdpPayloadAndExpectedReply) {
    auto cfg = valid_config(with_check(
        "{ udp: { payload_hex: 'de ad:be ef', reply_hex: '01 02', reply_regex: 'ok$' } }"));
    const auto& udp = std::get<UdpCheck>(check_of(cfg).kind);
    EXPECT_EQ(udp.payload, "\xde\xad\xbe\xef");
    EXPECT_EQ(udp.reply_prefix, "\x01\x02");
    EXPECT_EQ(udp.reply_regex, "ok$");
    EXPECT_TRUE(udp.require_reply);  // an expected reply needs one

    auto bare = valid_config(with_check("{ udp: { payload: hello } }"));
    EXPECT_EQ(std::get<UdpCheck>(check_of(bare).kind).payload, "hello");
    EXPECT_FALSE(std::get<UdpCheck>(check_of(bare).kind).require_reply);
}

TEST(DatagramChecks, DnsDefaultsAndSettings) {
    auto defaults = valid_config(with_check("{ dns: {} }"));
    const auto& d = std::get<DnsCheck>(check_of(defaults).kind);
    EXPECT_EQ(d.name, ".");
    EXPECT_EQ(d.type, 6);  // SOA, as keepalived
    EXPECT_EQ(d.transport, DnsTransport::udp);
    EXPECT_EQ(d.rcodes, std::vector<std::uint8_t>{0});

    auto cfg = valid_config(
        with_check("{ dns: { name: www.example.org., type: aaaa, transport: tcp, rcode: [NOERROR, "
                   "NXDOMAIN], require_answer: true } }"));
    const auto& e = std::get<DnsCheck>(check_of(cfg).kind);
    EXPECT_EQ(e.name, "www.example.org");
    EXPECT_EQ(e.type, 28);
    EXPECT_EQ(e.transport, DnsTransport::tcp);
    EXPECT_EQ(e.rcodes, (std::vector<std::uint8_t>{0, 3}));
    EXPECT_TRUE(e.require_answer);
}

TEST(DatagramChecks, ExactMessagesForMistakes) {
    expect_only_error("{ udp: { payload_hex: 'abc' } }",
                      "t.yaml:3:34: virtual_servers[0].check.udp.payload_hex: "
                      "'abc' is not a hex string (e.g. 'de ad be ef')");
    expect_only_error("{ udp: { payload: a, payload_hex: '00' } }",
                      "t.yaml:3:19: virtual_servers[0].check.udp: give payload "
                      "or payload_hex, not both");
    expect_only_error("{ udp: { require_reply: false, reply_hex: '00' } }",
                      "t.yaml:3:19: virtual_servers[0].check.udp: reply_hex and "
                      "reply_regex need require_reply: true");
    expect_only_error("{ dns: { type: AXFR } }",
                      "t.yaml:3:27: virtual_servers[0].check.dns.type: 'AXFR' is not one of A, NS, "
                      "CNAME, SOA, PTR, MX, TXT, AAAA, SRV, RRSIG, DNSKEY");
    expect_only_error("{ dns: { name: 'a..b' } }",
                      "t.yaml:3:27: virtual_servers[0].check.dns.name: 'a..b' "
                      "is not a domain name (labels of 1 to 63 characters)");
    expect_only_error("{ dns: { rcode: [] } }",
                      "t.yaml:3:28: virtual_servers[0].check.dns.rcode: give at least one rcode");
    expect_only_error("{ ping: {}, port: 7 }",
                      "t.yaml:3:30: virtual_servers[0].check.port: a ping has "
                      "no port");
}

TEST(DnsMessages, QueryBytes) {
    auto q = dns_query(0xbeef, "www.example.org", 28);
    EXPECT_EQ(q, std::string("\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                             "\x03www\x07"
                             "example\x03org\x00\x00\x1c\x00\x01",
                             33));
    auto root = dns_query(1, ".", 2);
    EXPECT_EQ(root.substr(12), std::string("\x00\x00\x02\x00\x01", 5));
}

TEST(DnsMessages, HeaderOfAnAnswerAndShortMessages) {
    std::string answer("\xbe\xef\x81\x83\x00\x01\x00\x02\x00\x00\x00\x00", 12);
    auto header = read_dns_header(answer);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->id, 0xbeef);
    EXPECT_TRUE(header->response);
    EXPECT_FALSE(header->truncated);
    EXPECT_EQ(header->rcode, 3);
    EXPECT_EQ(header->answers, 2);
    EXPECT_EQ(rcode_name(header->rcode), "NXDOMAIN");
    EXPECT_EQ(rcode_name(11), "rcode 11");
    for (std::size_t n = 0; n < 12; ++n) EXPECT_FALSE(read_dns_header(answer.substr(0, n)));
}

TEST(IcmpEcho, RequestChecksumAndReplyMatching) {
    auto request = icmp_echo_request(false, 0x1234, 7, 0x0102030405060708);
    ASSERT_EQ(request.size(), 16u);
    std::uint32_t sum = 0;  // a valid ICMP checksum sums to 0xffff
    for (std::size_t i = 0; i < request.size(); i += 2)
        sum += (static_cast<std::uint8_t>(request[i]) << 8) |
               static_cast<std::uint8_t>(request[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_EQ(sum, 0xffffu);

    // The reply as a raw IPv4 socket reads it: a 20-byte header, then the echo.
    std::string reply = request;
    reply[0] = 0;  // echo reply
    auto parsed =
        read_echo_reply(false, true, std::string(20, '\x45').replace(1, 19, 19, 0) + reply);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->id, 0x1234);
    EXPECT_EQ(parsed->sequence, 7);
    EXPECT_EQ(parsed->nonce, 0x0102030405060708u);
    EXPECT_FALSE(read_echo_reply(false, false, request));  // our own request is no reply
    EXPECT_FALSE(read_echo_reply(false, true, "\x4f"));    // header longer than the packet
    for (std::size_t n = 0; n < reply.size(); ++n)
        EXPECT_FALSE(read_echo_reply(false, false, reply.substr(0, n)));

    auto request6 = icmp_echo_request(true, 1, 2, 3);
    EXPECT_EQ(static_cast<std::uint8_t>(request6[0]), 128);
    std::string reply6 = request6;
    reply6[0] = static_cast<char>(129);
    ASSERT_TRUE(read_echo_reply(true, false, reply6));
    EXPECT_EQ(read_echo_reply(true, false, reply6)->nonce, 3u);
}

TEST(SmtpChecks, SettingsAndMistakes) {
    auto cfg = valid_config(with_check(
        "{ smtp: { helo_name: director1.example.org, starttls: true, verify: false, sni: "
        "mail.example.org } }"));
    const auto& smtp = std::get<SmtpCheck>(check_of(cfg).kind);
    EXPECT_EQ(smtp.helo_name, "director1.example.org");
    EXPECT_TRUE(smtp.starttls);
    EXPECT_FALSE(smtp.verify);
    EXPECT_EQ(smtp.sni, "mail.example.org");
    EXPECT_TRUE(std::get<SmtpCheck>(check_of(valid_config(with_check("{ smtp: {} }"))).kind)
                    .helo_name.empty());  // this host's name
    expect_only_error("{ smtp: { helo_name: 'a b' } }",
                      "t.yaml:3:33: virtual_servers[0].check.smtp.helo_name: a "
                      "host name: no spaces or line breaks");
    expect_only_error("{ smtp: { starttls: true, ca_file: /nonexistent } }",
                      "t.yaml:3:47: virtual_servers[0].check.smtp.ca_file: "
                      "cannot read '/nonexistent'");
}

TEST(SmtpReplies, OneAndManyLinesIncompleteAndMalformed) {
    auto one = read_smtp_reply("220 mail.test ESMTP Postfix\r\n");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->code, 220);
    EXPECT_EQ(one->first_line, "mail.test ESMTP Postfix");
    EXPECT_EQ(one->length, 29u);

    std::string many = "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 next";
    auto reply = read_smtp_reply(many);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, 250);
    EXPECT_EQ(reply->first_line, "mail.test");
    EXPECT_EQ(many.substr(reply->length), "220 next");  // the next reply stays
    for (std::size_t n = 0; n < reply->length; ++n)
        EXPECT_FALSE(read_smtp_reply(many.substr(0, n))) << n;  // not complete yet

    EXPECT_EQ(read_smtp_reply("554\n")->code, 554);  // a bare code, a bare newline
    EXPECT_EQ(read_smtp_reply("HTTP/1.1 400 Bad Request\r\n")->code, 0);
    EXPECT_EQ(read_smtp_reply("250-a\r\n354 b\r\n")->code, 0);  // codes must agree
    EXPECT_EQ(read_smtp_reply("2500 x\r\n")->code, 0);
}
