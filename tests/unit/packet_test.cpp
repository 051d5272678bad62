#include "directord/vrrp/packet.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "directord/vrrp/announcer.hpp"
#include "packet_bytes.hpp"

using namespace directord::vrrp;
namespace ip = boost::asio::ip;
using directord::test::drop_of;
using directord::test::hex;

namespace {

// Captured from keepalived 2.2.7 (IP header onwards): v2, PASS "secret12", VRID 51, prio 101.
const auto kV2Pass =
    hex("45c0 0028 0001 0000 ff70 d02e 0a63 0001 e000 0012 2133 6501 0101 0085 0a63 0064 7365 6372 "
        "6574 3132");
// v3, 10 cs, VRID 51, prio 101.
const auto kV3 =
    hex("45c0 0020 0019 0000 ff70 d01e 0a63 0001 e000 0012 3133 6501 000a 7407 0a63 0064");

const auto kSource = ip::make_address_v4("10.99.0.1");
const auto kGroup = ip::make_address_v4("224.0.0.18");
const auto kVip = ip::make_address("10.99.0.100");

Advert v2_pass_advert() {
    auto a = directord::test::advert_51(2, 100, {kVip});
    a.auth_type = directord::config::AuthType::pass;
    a.auth_data = pass_auth_data("secret12");
    return a;
}

Advert v3_advert() { return directord::test::advert_51(3, 10, {kVip}); }

}  // namespace

TEST(Packet, DecodesKeepalivedV2PassAdvert) {
    auto r = decode_ipv4(kV2Pass);
    ASSERT_TRUE(std::holds_alternative<Received>(r)) << to_string(std::get<DropReason>(r));
    const auto& got = std::get<Received>(r);
    EXPECT_EQ(got.source, ip::address(kSource));
    EXPECT_EQ(got.destination, ip::address(kGroup));
    EXPECT_EQ(got.advert, v2_pass_advert());
}

TEST(Packet, DecodesKeepalivedV3Advert) {
    auto r = decode_ipv4(kV3);
    ASSERT_TRUE(std::holds_alternative<Received>(r));
    EXPECT_EQ(std::get<Received>(r).advert, v3_advert());
}

TEST(Packet, EncodesByteForByteLikeKeepalived) {
    EXPECT_EQ(encode_ipv4(v2_pass_advert(), kSource, kGroup, 0x0001), kV2Pass);
    EXPECT_EQ(encode_ipv4(v3_advert(), kSource, kGroup, 0x0019), kV3);
}

TEST(Packet, RoundTripsManyAddressesBothVersions) {
    for (int version : {2, 3}) {
        Advert a;
        a.version = version;
        a.vrid = 255;
        a.priority = 1;
        a.interval_cs = version == 2 ? 25500 : 4095;
        for (int i = 0; i < 20; ++i)
            a.addresses.push_back(ip::make_address_v4(0x0a000000u + static_cast<unsigned>(i)));
        auto r = decode_ipv4(encode_ipv4(a, kSource, kGroup, 7));
        ASSERT_TRUE(std::holds_alternative<Received>(r)) << "v" << version;
        EXPECT_EQ(std::get<Received>(r).advert, a);
    }
}

TEST(Packet, V3ChecksumCoversThePseudoHeader) {
    auto packet = encode_ipv4(v3_advert(), kSource, kGroup, 1);
    // Same VRRP bytes, other source address: only a pseudo-header checksum notices.
    packet[15] = 2;
    packet[10] = packet[11] = 0;
    EXPECT_EQ(drop_of(decode_ipv4(packet)), DropReason::bad_checksum);
}

TEST(Packet, V2ChecksumIgnoresThePseudoHeader) {
    auto packet = kV2Pass;
    packet[15] = 2;  // other source; v2 checksums the VRRP message only
    EXPECT_TRUE(std::holds_alternative<Received>(decode_ipv4(packet)));
}

TEST(Packet, DropsEveryMalformedShape) {
    EXPECT_EQ(drop_of(decode_ipv4(std::vector<std::uint8_t>(10))), DropReason::truncated);
    auto short_vrrp = kV3;
    short_vrrp.resize(24);
    short_vrrp[3] = 24;
    EXPECT_EQ(drop_of(decode_ipv4(short_vrrp)), DropReason::truncated);

    auto ttl = kV3;
    ttl[8] = 254;
    EXPECT_EQ(drop_of(decode_ipv4(ttl)), DropReason::bad_ttl);

    auto version = kV3;
    version[20] = 0x41;
    EXPECT_EQ(drop_of(decode_ipv4(version)), DropReason::bad_version);

    auto type = kV3;
    type[20] = 0x32;
    EXPECT_EQ(drop_of(decode_ipv4(type)), DropReason::bad_type);

    auto count = kV3;
    count[23] = 2;  // claims two addresses, carries one
    EXPECT_EQ(drop_of(decode_ipv4(count)), DropReason::bad_length);

    auto checksum = kV3;
    checksum[26] ^= 0xff;
    EXPECT_EQ(drop_of(decode_ipv4(checksum)), DropReason::bad_checksum);

    auto not_vrrp = kV3;
    not_vrrp[9] = 6;
    EXPECT_EQ(drop_of(decode_ipv4(not_vrrp)), DropReason::bad_type);

    auto ah = kV2Pass;
    ah[24] = 2;  // auth type 2 (IP AH), gone since RFC 3768
    ah[26] = ah[27] = 0;
    auto sum = internet_checksum(std::span(ah).subspan(20));
    ah[26] = static_cast<std::uint8_t>(sum >> 8), ah[27] = static_cast<std::uint8_t>(sum);
    EXPECT_EQ(drop_of(decode_ipv4(ah)), DropReason::auth_type_mismatch);

    auto lying_total = kV3;
    lying_total[3] = 0xff;  // IP total length beyond the buffer
    EXPECT_EQ(drop_of(decode_ipv4(lying_total)), DropReason::truncated);

    // A v3 interval of 0 would make the backup's master-down interval 0 (RFC 5798 §6.4.2):
    // it would take over from a live master at once.
    auto zero = v3_advert();
    zero.interval_cs = 0;
    EXPECT_EQ(drop_of(decode_ipv4(encode_ipv4(zero, kSource, kGroup, 1))),
              DropReason::bad_interval);
    EXPECT_EQ(to_string(DropReason::bad_interval), "interval_zero");
}

TEST(Packet, SurvivesEveryTruncationAndBitFlip) {
    // No input may crash the decoder: every prefix and every single-bit flip.
    for (std::size_t n = 0; n <= kV2Pass.size(); ++n)
        (void)decode_ipv4(std::span(kV2Pass.data(), n));
    for (std::size_t bit = 0; bit < kV2Pass.size() * 8; ++bit) {
        auto p = kV2Pass;
        p[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        (void)decode_ipv4(p);
    }
}

TEST(Packet, ReceiveRulesPastTheCodec) {
    Expectation e{2, {directord::config::AuthType::pass, "secret12"}, 100, {kVip}};
    auto a = v2_pass_advert();
    EXPECT_FALSE(check_against(a, e));

    auto wrong_pass = a;
    wrong_pass.auth_data = pass_auth_data("xyz");
    EXPECT_EQ(check_against(wrong_pass, e), DropReason::auth_mismatch);

    auto no_auth = a;
    no_auth.auth_type = directord::config::AuthType::none;
    EXPECT_EQ(check_against(no_auth, e), DropReason::auth_type_mismatch);

    auto interval = a;
    interval.interval_cs = 200;
    EXPECT_EQ(check_against(interval, e), DropReason::interval_mismatch);

    auto other_vips = a;
    other_vips.addresses = {ip::make_address("10.99.0.101")};
    EXPECT_EQ(check_against(other_vips, e), DropReason::address_mismatch);
    other_vips.priority = 255;  // the address owner may differ
    EXPECT_FALSE(check_against(other_vips, e));

    auto v3 = v3_advert();
    EXPECT_EQ(check_against(v3, e), DropReason::version_mismatch);
    // v3 learns the master's interval instead of dropping.
    Expectation e3{3, {}, 100, {kVip}};
    EXPECT_FALSE(check_against(v3, e3));
}

TEST(Garp, FrameMatchesKeepalived) {
    auto expected =
        hex("ffff ffff ffff 0299 0000 0001 0806 0001 0800 0604 0001 0299 0000 0001 0a63 0064 ffff "
            "ffff ffff 0a63 0064");
    MacAddress mac{0x02, 0x99, 0, 0, 0, 0x01};
    EXPECT_EQ(build_garp_frame(mac, ip::make_address_v4("10.99.0.100")), expected);
}
