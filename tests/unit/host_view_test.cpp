#include "directord/vrrp/host_view.hpp"

#include <gtest/gtest.h>

using namespace directord;
using namespace directord::vrrp;
using boost::asio::ip::make_address_v4;

namespace {

config::Vip vip(const char* address) {
    config::Vip v;
    v.address = boost::asio::ip::make_address(address);
    v.prefix_length = 24;
    return v;
}

InterfaceInfo up(int index, std::vector<const char*> addresses, std::uint8_t mac_tail = 1) {
    InterfaceInfo info;
    info.index = index;
    info.running = true;
    info.mac = {2, 0, 0, 0, 0, mac_tail};
    for (const auto* a : addresses) info.addresses.push_back(make_address_v4(a));
    return info;
}

const std::vector<config::Vip> kHeld = {vip("10.0.0.100"), vip("10.0.1.100")};

}  // namespace

TEST(HostView, MissingInterfaceIsAFaultWithItsName) {
    auto a = assess_host("eth1", InterfaceInfo{}, InterfaceInfo{}, kHeld, false, false);
    EXPECT_EQ(a.fault, "interface eth1 missing");
    EXPECT_FALSE(a.rebind);
    EXPECT_TRUE(a.primary.is_unspecified());
}

TEST(HostView, AnInterfaceThatAppearsIsBoundAndRuns) {
    auto a = assess_host("eth1", InterfaceInfo{}, up(7, {"10.0.0.1"}), kHeld, false, false);
    EXPECT_EQ(a.fault, "");
    EXPECT_TRUE(a.rebind);
    EXPECT_EQ(a.primary, make_address_v4("10.0.0.1"));
}

TEST(HostView, ReCreatedInterfaceIsBoundAgainAndAnnouncedByAMaster) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100"}), up(9, {"10.0.0.1"}), kHeld,
                         true, false);
    EXPECT_TRUE(a.rebind);
    EXPECT_TRUE(a.reannounce);
    EXPECT_TRUE(a.restore.empty()) << "a new interface gets every VIP anew, not as a repair";
}

TEST(HostView, LinkDownAndNoAddressAreFaults) {
    auto down = up(7, {"10.0.0.1"});
    down.running = false;
    EXPECT_EQ(assess_host("eth1", up(7, {"10.0.0.1"}), down, kHeld, false, false).fault,
              "interface eth1 down");
    EXPECT_EQ(
        assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.100"}), kHeld, false, false).fault,
        "no IPv4 address on eth1")
        << "our own VIP is never the advert source";
}

TEST(HostView, PrimaryAddressFollowsTheKernel) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.100", "10.0.0.2"}), kHeld,
                         false, false);
    EXPECT_EQ(a.primary, make_address_v4("10.0.0.2"));
    EXPECT_EQ(a.fault, "");
}

TEST(HostView, MacChangeWhileMasterIsAnnouncedAgain) {
    auto before = up(7, {"10.0.0.1", "10.0.0.100"}, 1);
    auto after = up(7, {"10.0.0.1", "10.0.0.100"}, 2);
    EXPECT_TRUE(assess_host("eth1", before, after, kHeld, true, false).reannounce);
    EXPECT_FALSE(assess_host("eth1", before, after, kHeld, false, false).reannounce);
    EXPECT_FALSE(assess_host("eth1", before, before, kHeld, true, false).reannounce);
}

TEST(HostView, AVipRemovedByOthersWhileMasterIsRestored) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100", "10.0.1.100"}),
                         up(7, {"10.0.0.1", "10.0.1.100"}), kHeld, true, false);
    ASSERT_EQ(a.restore.size(), 1u);
    EXPECT_EQ(a.restore[0].address.to_string(), "10.0.0.100");
    EXPECT_TRUE(a.stray.empty());
    // Never seen present (our add failed, or not yet made): not someone else's removal.
    EXPECT_TRUE(assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.1"}), kHeld, true, false)
                    .restore.empty());
}

TEST(HostView, OurVipOnABackupIsEvicted) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.1", "10.0.1.100"}), kHeld,
                         false, false);
    ASSERT_EQ(a.stray.size(), 1u);
    EXPECT_EQ(a.stray[0].address.to_string(), "10.0.1.100");
    EXPECT_TRUE(a.restore.empty());
    // Reported once, when it appears, not again on every later event of the interface.
    auto still = up(7, {"10.0.0.1", "10.0.1.100"});
    EXPECT_TRUE(assess_host("eth1", still, still, kHeld, false, false).stray.empty());
}

TEST(HostView, AMasterLosingItsLastAddressDoesNotRestoreVips) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100"}), up(7, {}), kHeld, true, false);
    EXPECT_EQ(a.fault, "no IPv4 address on eth1");
    EXPECT_TRUE(a.restore.empty());
}

TEST(HostView, Ipv6AdvertsLeaveFromTheFirstLinkLocalAddressNotOurs) {
    InterfaceInfo info = up(7, {"10.0.0.1"});
    const std::vector<config::Vip> held = {vip("fe80::100"), vip("2001:db8::100")};
    info.addresses.push_back(boost::asio::ip::make_address("2001:db8::1"));
    EXPECT_EQ(assess_host("eth1", {}, info, held, false, true).fault,
              "no IPv6 link-local address on eth1");
    info.addresses.push_back(boost::asio::ip::make_address("fe80::100"));  // our VIP: not a source
    info.addresses.push_back(boost::asio::ip::make_address("fe80::1"));
    auto a = assess_host("eth1", {}, info, held, false, true);
    EXPECT_EQ(a.fault, "");
    EXPECT_EQ(a.primary, boost::asio::ip::make_address("fe80::1"));
    EXPECT_EQ(a.stray.size(), 1u) << "fe80::100 is ours and found on a BACKUP";
    EXPECT_EQ(assess_host("eth1", {}, info, kHeld, false, false).primary,
              boost::asio::ip::make_address("10.0.0.1"));
}
