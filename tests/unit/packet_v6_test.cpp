// VRRPv3 over IPv6 and unsolicited neighbour advertisements, against keepalived 2.2.7's bytes.
#include <gtest/gtest.h>

#include "directord/vrrp/announcer.hpp"
#include "directord/vrrp/packet.hpp"
#include "packet_bytes.hpp"

using namespace directord::vrrp;
namespace ip = boost::asio::ip;
using directord::test::drop_of;
using directord::test::hex;

namespace {

// keepalived 2.2.7, `version 3`, VRID 51, priority 101, advert_int 0.1, VIP fd99::100, from
// eth0's link-local fe80::99:ff:fe00:1 (the IPv6 payload; the kernel writes the header).
const auto kKeepalivedV6 = hex("3133 6501 000a 6d6f fd99 0000 0000 0000 0000 0000 0000 0100");
const auto kSource = ip::make_address("fe80::99:ff:fe00:1");
const auto kGroup = ip::make_address("ff02::12");

Advert keepalived_advert() {
    return directord::test::advert_51(3, 10, {ip::make_address("fd99::100")});
}

}  // namespace

TEST(PacketV6, DecodesKeepalivedsAdvert) {
    auto r = decode_message(kKeepalivedV6, kSource, kGroup, 255);
    ASSERT_TRUE(std::holds_alternative<Received>(r));
    EXPECT_EQ(std::get<Received>(r).advert, keepalived_advert());
}

TEST(PacketV6, EncodesKeepalivedsBytes) {
    EXPECT_EQ(encode_message(keepalived_advert(), kSource, kGroup), kKeepalivedV6);
}

TEST(PacketV6, RoundTripsManyAddressesAndUnicast) {
    auto a = keepalived_advert();
    a.addresses = {ip::make_address("fe80::100"), ip::make_address("2001:db8::1"),
                   ip::make_address("2001:db8::2")};
    a.interval_cs = 4095;
    auto peer = ip::make_address("fe80::2");
    auto r = decode_message(encode_message(a, kSource, peer), kSource, peer, 255);
    ASSERT_TRUE(std::holds_alternative<Received>(r));
    EXPECT_EQ(std::get<Received>(r).advert, a);
}

TEST(PacketV6, EveryMalformedShapeHasItsReason) {
    EXPECT_EQ(drop_of(decode_message(kKeepalivedV6, kSource, kGroup, 254)), DropReason::bad_ttl);
    EXPECT_EQ(drop_of(decode_message(kKeepalivedV6, kSource, kGroup, 1)), DropReason::bad_ttl);
    // The checksum covers the pseudo-header: another source or destination breaks it.
    EXPECT_EQ(
        drop_of(decode_message(kKeepalivedV6, ip::make_address("fe80::99:ff:fe00:2"), kGroup, 255)),
        DropReason::bad_checksum);
    EXPECT_EQ(drop_of(decode_message(kKeepalivedV6, kSource, ip::make_address("ff02::1"), 255)),
              DropReason::bad_checksum);
    auto flipped = kKeepalivedV6;
    flipped[9] ^= 1;
    EXPECT_EQ(drop_of(decode_message(flipped, kSource, kGroup, 255)), DropReason::bad_checksum);
    EXPECT_EQ(drop_of(decode_message(std::span(kKeepalivedV6).first(7), kSource, kGroup, 255)),
              DropReason::truncated);
    // Shorter or longer than the address count says (IPv6 addresses are 16 bytes each).
    EXPECT_EQ(drop_of(decode_message(std::span(kKeepalivedV6).first(20), kSource, kGroup, 255)),
              DropReason::bad_length);
    auto two = kKeepalivedV6;
    two[3] = 2;
    EXPECT_EQ(drop_of(decode_message(two, kSource, kGroup, 255)), DropReason::bad_length);
    auto padded = kKeepalivedV6;
    padded.resize(padded.size() + 4);
    EXPECT_EQ(drop_of(decode_message(padded, kSource, kGroup, 255)), DropReason::bad_length);
    // VRRPv2 does not exist over IPv6.
    auto v2 = kKeepalivedV6;
    v2[0] = 0x21;
    EXPECT_EQ(drop_of(decode_message(v2, kSource, kGroup, 255)), DropReason::bad_version);
    auto zero_interval = keepalived_advert();
    zero_interval.interval_cs = 0;
    EXPECT_EQ(drop_of(decode_message(encode_message(zero_interval, kSource, kGroup), kSource,
                                     kGroup, 255)),
              DropReason::bad_interval);
}

TEST(NeighbourAdvert, FrameMatchesKeepalived) {
    // keepalived 2.2.7's unsolicited NA for fd99::100 on an interface that does not forward.
    auto expected =
        hex("3333 0000 0001 0299 0000 0001 86dd 6000 0000 0020 3aff fd99 0000 0000 0000 0000 "
            "0000 0000 0100 ff02 0000 0000 0000 0000 0000 0000 0001 8800 56d2 2000 0000 fd99 "
            "0000 0000 0000 0000 0000 0000 0100 0201 0299 0000 0001");
    MacAddress mac{0x02, 0x99, 0, 0, 0, 0x01};
    EXPECT_EQ(build_unsolicited_na_frame(mac, ip::make_address_v6("fd99::100"), false), expected);
}

TEST(NeighbourAdvert, RouterFlagKeepsTheChecksumRight) {
    MacAddress mac{0x02, 0x99, 0, 0, 0, 0x01};
    auto frame = build_unsolicited_na_frame(mac, ip::make_address_v6("2001:db8::7"), true);
    ASSERT_EQ(frame.size(), 86u);
    EXPECT_EQ(frame[14 + 40 + 4], 0xa0);  // router + override, never solicited
    // The ICMPv6 checksum verifies over the pseudo-header: sum of all is 0xffff.
    std::uint32_t pseudo = 32 + 58;
    for (std::size_t i = 14 + 8; i < 14 + 40; i += 2) pseudo += frame[i] << 8 | frame[i + 1];
    EXPECT_EQ(internet_checksum(std::span(frame).subspan(14 + 40), pseudo), 0);
}
