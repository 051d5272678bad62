// Decodes every VRRP packet of real keepalived 2.2.7 captures.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "directord/vrrp/packet.hpp"

using namespace directord::vrrp;

namespace {

struct Frame {
    std::vector<std::uint8_t> bytes;
};

// Minimal pcap reader (micro- or nanosecond variant, Ethernet link type).
std::vector<Frame> read_pcap(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), {});
    std::vector<Frame> frames;
    if (data.size() < 24) return frames;
    auto u32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(data[at] | data[at + 1] << 8 | data[at + 2] << 16 |
                                          data[at + 3] << 24);
    };
    std::uint32_t magic = u32(0);
    EXPECT_TRUE(magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) << path;
    for (std::size_t at = 24; at + 16 <= data.size();) {
        std::uint32_t captured = u32(at + 8);
        at += 16;
        if (at + captured > data.size()) break;
        frames.push_back(
            {std::vector<std::uint8_t>(data.begin() + static_cast<long>(at),
                                       data.begin() + static_cast<long>(at + captured))});
        at += captured;
    }
    return frames;
}

struct Tally {
    int adverts = 0;
    std::map<int, int> by_priority;
    std::set<int> versions;
};

Tally decode_all(const std::string& file) {
    Tally t;
    for (const auto& f : read_pcap(std::string(DIRECTORD_TEST_DATA) + "/" + file)) {
        if (f.bytes.size() < 14 || f.bytes[12] != 0x08 || f.bytes[13] != 0x00)
            continue;  // not IPv4
        auto r = decode_ipv4(std::span(f.bytes).subspan(14));
        EXPECT_TRUE(std::holds_alternative<Received>(r))
            << file << ": " << to_string(std::get<DropReason>(r));
        if (auto* got = std::get_if<Received>(&r)) {
            ++t.adverts;
            ++t.by_priority[got->advert.priority];
            t.versions.insert(got->advert.version);
            EXPECT_EQ(got->advert.vrid, 51);
            EXPECT_EQ(got->advert.addresses.size(), 1u);
        }
    }
    return t;
}

}  // namespace

TEST(Pcap, V2StartupAdvertsDecode) {
    auto t = decode_all("v2-startup-d1-master.pcap");
    EXPECT_GT(t.adverts, 0);
    EXPECT_EQ(t.versions, std::set<int>{2});
}

TEST(Pcap, V2CrashFailoverShowsBothMasters) {
    auto t = decode_all("v2-kill9-failover.pcap");
    EXPECT_GT(t.by_priority[101], 0);
    EXPECT_GT(t.by_priority[100], 0);
}

TEST(Pcap, V3TermFailoverCarriesPriorityZero) {
    auto t = decode_all("v3-0.1-term-failover.pcap");
    EXPECT_EQ(t.versions, std::set<int>{3});
    EXPECT_GE(t.by_priority[0], 1);  // the graceful hand-over advert
}

TEST(Pcap, V2AuthNoneAndPasswordMismatch) {
    EXPECT_GT(decode_all("v2-authnone-advert.pcap").adverts, 0);
    // Both passwords decode; which one is accepted is the receive rules' business.
    int rejected = 0;
    for (const auto& f : read_pcap(std::string(DIRECTORD_TEST_DATA) + "/v2-pass-abc-vs-xyz.pcap")) {
        if (f.bytes.size() < 14 || f.bytes[12] != 0x08) continue;
        auto r = decode_ipv4(std::span(f.bytes).subspan(14));
        ASSERT_TRUE(std::holds_alternative<Received>(r));
        Expectation abc{2,
                        {directord::config::AuthType::pass, "abc"},
                        100,
                        std::get<Received>(r).advert.addresses};
        if (check_against(std::get<Received>(r).advert, abc) == DropReason::auth_mismatch)
            ++rejected;
        Expectation xyz = abc;
        xyz.auth.password = "xyz";
        EXPECT_FALSE(check_against(std::get<Received>(r).advert, xyz));
    }
    EXPECT_GE(rejected, 1);
}
