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
    auto a =
        assess_host("eth1", InterfaceInfo{}, InterfaceInfo{}, kHeld, false, AdvertSource::ipv4);
    EXPECT_EQ(a.fault, "interface eth1 missing");
    EXPECT_FALSE(a.rebind);
    EXPECT_TRUE(a.primary.is_unspecified());
}

TEST(HostView, AnInterfaceThatAppearsIsBoundAndRuns) {
    auto a =
        assess_host("eth1", InterfaceInfo{}, up(7, {"10.0.0.1"}), kHeld, false, AdvertSource::ipv4);
    EXPECT_EQ(a.fault, "");
    EXPECT_TRUE(a.rebind);
    EXPECT_EQ(a.primary, make_address_v4("10.0.0.1"));
}

TEST(HostView, ReCreatedInterfaceIsBoundAgainAndAnnouncedByAMaster) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100"}), up(9, {"10.0.0.1"}), kHeld,
                         true, AdvertSource::ipv4);
    EXPECT_TRUE(a.rebind);
    EXPECT_TRUE(a.reannounce);
    EXPECT_TRUE(a.restore.empty()) << "a new interface gets every VIP anew, not as a repair";
}

TEST(HostView, LinkDownAndNoAddressAreFaults) {
    auto down = up(7, {"10.0.0.1"});
    down.running = false;
    EXPECT_EQ(
        assess_host("eth1", up(7, {"10.0.0.1"}), down, kHeld, false, AdvertSource::ipv4).fault,
        "interface eth1 down");
    EXPECT_EQ(assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.100"}), kHeld, false,
                          AdvertSource::ipv4)
                  .fault,
              "no IPv4 address on eth1")
        << "our own VIP is never the advert source";
}

TEST(HostView, PrimaryAddressFollowsTheKernel) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.100", "10.0.0.2"}), kHeld,
                         false, AdvertSource::ipv4);
    EXPECT_EQ(a.primary, make_address_v4("10.0.0.2"));
    EXPECT_EQ(a.fault, "");
}

TEST(HostView, MacChangeWhileMasterIsAnnouncedAgain) {
    auto before = up(7, {"10.0.0.1", "10.0.0.100"}, 1);
    auto after = up(7, {"10.0.0.1", "10.0.0.100"}, 2);
    EXPECT_TRUE(assess_host("eth1", before, after, kHeld, true, AdvertSource::ipv4).reannounce);
    EXPECT_FALSE(assess_host("eth1", before, after, kHeld, false, AdvertSource::ipv4).reannounce);
    EXPECT_FALSE(assess_host("eth1", before, before, kHeld, true, AdvertSource::ipv4).reannounce);
}

TEST(HostView, AVipRemovedByOthersWhileMasterIsRestored) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100", "10.0.1.100"}),
                         up(7, {"10.0.0.1", "10.0.1.100"}), kHeld, true, AdvertSource::ipv4);
    ASSERT_EQ(a.restore.size(), 1u);
    EXPECT_EQ(a.restore[0].address.to_string(), "10.0.0.100");
    EXPECT_TRUE(a.stray.empty());
    // Never seen present (our add failed, or not yet made): not someone else's removal.
    EXPECT_TRUE(assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.1"}), kHeld, true,
                            AdvertSource::ipv4)
                    .restore.empty());
}

TEST(HostView, OurVipOnABackupIsEvicted) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1"}), up(7, {"10.0.0.1", "10.0.1.100"}), kHeld,
                         false, AdvertSource::ipv4);
    ASSERT_EQ(a.stray.size(), 1u);
    EXPECT_EQ(a.stray[0].address.to_string(), "10.0.1.100");
    EXPECT_TRUE(a.restore.empty());
    // Reported once, when it appears, not again on every later event of the interface.
    auto still = up(7, {"10.0.0.1", "10.0.1.100"});
    EXPECT_TRUE(assess_host("eth1", still, still, kHeld, false, AdvertSource::ipv4).stray.empty());
}

TEST(HostView, AMasterLosingItsLastAddressDoesNotRestoreVips) {
    auto a = assess_host("eth1", up(7, {"10.0.0.1", "10.0.0.100"}), up(7, {}), kHeld, true,
                         AdvertSource::ipv4);
    EXPECT_EQ(a.fault, "no IPv4 address on eth1");
    EXPECT_TRUE(a.restore.empty());
}

TEST(HostView, Ipv6AdvertsLeaveFromTheFirstLinkLocalAddressNotOurs) {
    InterfaceInfo info = up(7, {"10.0.0.1"});
    const std::vector<config::Vip> held = {vip("fe80::100"), vip("2001:db8::100")};
    info.addresses.push_back(boost::asio::ip::make_address("2001:db8::1"));
    EXPECT_EQ(assess_host("eth1", {}, info, held, false, AdvertSource::ipv6_link_local).fault,
              "no IPv6 link-local address on eth1");
    info.addresses.push_back(boost::asio::ip::make_address("fe80::100"));  // our VIP: not a source
    info.addresses.push_back(boost::asio::ip::make_address("fe80::1"));
    auto a = assess_host("eth1", {}, info, held, false, AdvertSource::ipv6_link_local);
    EXPECT_EQ(a.fault, "");
    EXPECT_EQ(a.primary, boost::asio::ip::make_address("fe80::1"));
    EXPECT_EQ(a.stray.size(), 1u) << "fe80::100 is ours and found on a BACKUP";
    EXPECT_EQ(assess_host("eth1", {}, info, kHeld, false, AdvertSource::ipv4).primary,
              boost::asio::ip::make_address("10.0.0.1"));
}

TEST(HostView, UnicastToGlobalPeersLeavesFromAGlobalAddress) {
    config::Instance instance;
    instance.vips = {vip("fd99::100")};
    EXPECT_EQ(advert_source(instance), AdvertSource::ipv6_link_local) << "multicast: RFC 5798";
    instance.unicast_peers = {boost::asio::ip::make_address("fe80::2")};
    EXPECT_EQ(advert_source(instance), AdvertSource::ipv6_link_local);
    instance.unicast_peers = {boost::asio::ip::make_address("fd99::2")};
    EXPECT_EQ(advert_source(instance), AdvertSource::ipv6_global);

    InterfaceInfo info = up(7, {"10.0.0.1"});
    info.addresses.push_back(boost::asio::ip::make_address("fe80::1"));
    const std::vector<config::Vip> held = {vip("fd99::100")};
    EXPECT_EQ(assess_host("eth1", {}, info, held, false, AdvertSource::ipv6_global).fault,
              "no global IPv6 address (the unicast source) on eth1");
    info.addresses.push_back(boost::asio::ip::make_address("fd99::100"));  // ours: not a source
    info.addresses.push_back(boost::asio::ip::make_address("fd99::1"));
    EXPECT_EQ(assess_host("eth1", {}, info, held, true, AdvertSource::ipv6_global).primary,
              boost::asio::ip::make_address("fd99::1"));
}

TEST(HostView, AnotherInstancesVipIsNeverTheAdvertSource) {
    // IPv6 lists the newest address first: another instance's VIP added later would lead.
    InterfaceInfo info = up(7, {});
    info.addresses = {boost::asio::ip::make_address("fd99::101"),
                      boost::asio::ip::make_address("fd99::1")};
    const std::vector<config::IpAddress> managed = {boost::asio::ip::make_address("fd99::100"),
                                                    boost::asio::ip::make_address("fd99::101")};
    EXPECT_EQ(
        assess_host("eth1", {}, info, {vip("fd99::100")}, true, AdvertSource::ipv6_global, managed)
            .primary,
        boost::asio::ip::make_address("fd99::1"));
}
