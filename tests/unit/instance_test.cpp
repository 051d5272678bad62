// Engine and Instance driven through an in-memory kernel: every host event of the namespace
// test netns.host_dynamics, and the split-brain re-announcement, without namespaces.
#include "directord/vrrp/instance.hpp"

#include <gtest/gtest.h>

#include "directord/healthcheck/file_watch.hpp"
#include "directord/vrrp/engine.hpp"
#include "fake_host.hpp"

using namespace directord;
using namespace directord::vrrp;
using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v4;
using fake::FakeHost;

namespace {

config::Instance instance_config(const std::string& name, const std::string& interface,
                                 std::uint8_t vrid, const char* vip) {
    config::Instance cfg;
    cfg.name = name;
    cfg.interface = interface;
    cfg.vrid = vrid;
    cfg.version = 3;
    cfg.priority = 101;
    cfg.advert_interval = 100ms;
    config::Vip v;
    v.address = make_address(vip);
    v.prefix_length = 24;
    cfg.vips = {v};
    return cfg;
}

InterfaceInfo interface_up(int index, const char* primary, std::uint8_t mac_tail = 1) {
    InterfaceInfo info;
    info.index = index;
    info.running = true;
    info.mac = {2, 0x99, 0, 0, 0, mac_tail};
    info.addresses = {make_address_v4(primary)};
    return info;
}

Received advert_from(const char* source, std::uint8_t vrid, std::uint8_t priority,
                     const char* vip) {
    Received r;
    r.source = make_address(source);
    r.destination = make_address("224.0.0.18");
    r.advert.vrid = vrid;
    r.advert.priority = priority;
    r.advert.interval_cs = 10;
    r.advert.addresses = {make_address(vip)};
    return r;
}

struct HostEvents : ::testing::Test {
    boost::asio::io_context io;
    FakeHost host{io};
    healthcheck::FileWatch files{io};
    std::vector<config::IpAddress> managed;
    Services services{io, host, files, healthcheck::Scheduler::of(io), managed};

    // Runs the loop until `done` or a generous bound (a correctness bound, not a speed one).
    template <class Pred>
    bool run_until(Pred done, std::chrono::milliseconds limit = 5s) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < end) {
            io.restart();
            io.run_for(5ms);
        }
        return done();
    }
    void settle(std::chrono::milliseconds d = 50ms) {
        io.restart();
        io.run_for(d);
    }
    std::unique_ptr<Instance> make(const config::Instance& cfg) {
        auto instance = std::make_unique<Instance>(services, cfg, [](Instance&) {});
        instance->start();
        return instance;
    }
    std::unique_ptr<Instance> master_on_eth0() {
        host.set_interface("eth0", interface_up(2, "10.99.0.1"));
        auto web = make(instance_config("web", "eth0", 51, "10.99.0.100"));
        EXPECT_TRUE(run_until([&] { return web->state() == State::master; }));
        EXPECT_TRUE(run_until([&] { return host.has_address("eth0", "10.99.0.100"); }));
        settle();
        return web;
    }
};

}  // namespace

TEST_F(HostEvents, MissingInterfaceIsAFaultUntilItAppears) {
    auto inside = make(instance_config("inside", "eth1", 52, "10.98.0.100"));
    settle();  // its start-up clean-up of VIPs is answered
    EXPECT_EQ(inside->state(), State::fault);
    ASSERT_FALSE(inside->reasons().empty());
    EXPECT_EQ(inside->reasons().front(), "interface eth1 missing: FAULT");

    host.set_interface("eth1", interface_up(7, "10.98.0.1"));
    EXPECT_EQ(inside->state(), State::backup);
    ASSERT_TRUE(run_until([&] { return inside->state() == State::master; }));
    ASSERT_TRUE(run_until([&] { return host.has_address("eth1", "10.98.0.100"); }));
    ASSERT_FALSE(host.sent.empty());
    EXPECT_EQ(host.sent.back().source, make_address_v4("10.98.0.1"));
}

TEST_F(HostEvents, DeletedWhileMasterThenRecreated) {
    auto web = master_on_eth0();
    host.set_interface("eth0", InterfaceInfo{});
    EXPECT_EQ(web->state(), State::fault);
    EXPECT_EQ(web->reasons().front(), "interface eth0 missing: FAULT");

    host.set_interface("eth0", interface_up(9, "10.99.0.1"));
    ASSERT_TRUE(run_until([&] { return web->state() == State::master; }));
    ASSERT_TRUE(run_until([&] { return host.has_address("eth0", "10.99.0.100"); }))
        << "the new interface gets the VIP";
    settle();
    ASSERT_FALSE(host.announcements.empty());
    EXPECT_EQ(host.announcements.back().ifindex, 9) << "ARPs leave from the new interface";
}

TEST_F(HostEvents, AVipRemovedByAnotherProgramIsPutBack) {
    auto web = master_on_eth0();
    host.remove_address_by_other("eth0", "10.99.0.100");
    ASSERT_TRUE(run_until([&] { return host.has_address("eth0", "10.99.0.100"); }));
    EXPECT_EQ(web->counters().vips_restored, 1u);
    EXPECT_EQ(web->state(), State::master);
}

TEST_F(HostEvents, AStrayVipOnABackupIsRemovedOrReported) {
    host.set_interface("eth0", interface_up(2, "10.99.0.2"));
    auto cfg = instance_config("web", "eth0", 51, "10.99.0.100");
    cfg.priority = 100;
    auto web = make(cfg);
    host.deliver("eth0", advert_from("10.99.0.1", 51, 101, "10.99.0.100"));
    settle();
    host.add_address_by_other("eth0", "10.99.0.100");
    ASSERT_TRUE(run_until([&] { return !host.has_address("eth0", "10.99.0.100"); }));
    EXPECT_EQ(web->counters().stray_vips, 1u);

    cfg.remove_stray_vips = false;
    web->reconfigure(cfg);
    host.add_address_by_other("eth0", "10.99.0.100");
    settle();
    EXPECT_TRUE(host.has_address("eth0", "10.99.0.100")) << "stray_vips: warn leaves it";
    EXPECT_EQ(web->counters().stray_vips, 2u);
}

TEST_F(HostEvents, PrimaryAddressChangesAndDisappears) {
    auto web = master_on_eth0();
    auto& eth0 = host.interface("eth0");
    eth0.addresses = {make_address_v4("10.99.0.100"), make_address_v4("10.99.0.11")};
    host.changed("eth0");
    auto sent_before = host.sent.size();
    ASSERT_TRUE(run_until([&] { return host.sent.size() > sent_before; }));
    EXPECT_EQ(host.sent.back().source, make_address_v4("10.99.0.11"));

    host.interface("eth0").addresses.clear();
    host.changed("eth0");
    EXPECT_EQ(web->state(), State::fault);
    EXPECT_EQ(web->reasons().front(), "no IPv4 address on eth0: FAULT");
}

TEST_F(HostEvents, MacChangeWhileMasterAnnouncesAgain) {
    auto web = master_on_eth0();
    auto announced = host.announcements.size();
    auto changed = interface_up(2, "10.99.0.1", 0xaa);
    changed.addresses.push_back(make_address_v4("10.99.0.100"));
    host.set_interface("eth0", changed);
    ASSERT_EQ(host.announcements.size(), announced + 1);
    EXPECT_EQ(host.announcements.back().mac[5], 0xaa);
}

TEST_F(HostEvents, LinkDownIsAFaultAndNothingIsSentThrough) {
    auto web = master_on_eth0();
    auto down = host.read_interface("eth0");
    down.running = false;
    auto sent_before = host.sent.size();
    host.set_interface("eth0", down);
    EXPECT_EQ(web->state(), State::fault);
    EXPECT_EQ(host.sent.size(), sent_before) << "no priority-0 advert into a link that is down";
    ASSERT_TRUE(run_until([&] { return !host.has_address("eth0", "10.99.0.100"); }));
}

TEST_F(HostEvents, ALowerPriorityMasterMakesUsAnnounceAgain) {
    auto web = master_on_eth0();
    settle(1100ms);  // past the take-over's own announcement
    auto announced = host.announcements.size();
    host.deliver("eth0", advert_from("10.99.0.2", 51, 100, "10.99.0.100"));
    EXPECT_EQ(web->state(), State::master);
    EXPECT_EQ(host.announcements.size(), announced + 1);
}

TEST_F(HostEvents, EngineRunsEveryOtherInstanceWhileOneInterfaceIsMissing) {
    host.set_interface("eth0", interface_up(2, "10.99.0.1"));
    Engine engine(io, host);
    config::Config cfg;
    cfg.instances = {instance_config("web", "eth0", 51, "10.99.0.100"),
                     instance_config("inside", "eth1", 52, "10.98.0.100")};
    engine.apply(cfg);
    ASSERT_TRUE(run_until([&] { return engine.find("web")->state() == State::master; }));
    EXPECT_EQ(engine.find("inside")->state(), State::fault);
    host.set_interface("eth1", interface_up(3, "10.98.0.1"));
    ASSERT_TRUE(run_until([&] { return engine.find("inside")->state() == State::master; }));
    engine.shutdown();
}

TEST_F(HostEvents, AFlappingLinkReturnsOnlyOnceUpForTheDelay) {
    host.set_interface("eth0", interface_up(2, "10.99.0.1"));
    auto cfg = instance_config("web", "eth0", 51, "10.99.0.100");
    cfg.link_up_delay = 300ms;
    auto web = make(cfg);
    settle();
    auto flap = [&](bool running) {
        auto info = host.read_interface("eth0");
        info.running = running;
        host.set_interface("eth0", info);
    };
    flap(false);
    EXPECT_EQ(web->state(), State::fault);
    flap(true);
    flap(false);
    flap(true);
    EXPECT_EQ(web->state(), State::fault) << "up again, but not for the delay yet";
    EXPECT_EQ(web->reasons().front(),
              "interface eth0 up again, waiting 300ms for it to stay up: FAULT");
    ASSERT_TRUE(run_until([&] { return web->state() != State::fault; }));
    EXPECT_EQ(web->counters().transitions, 3u) << "BACKUP, FAULT once, BACKUP: not per flap";
}

TEST_F(HostEvents, AMisconfiguredPeerIsCountedForEveryAdvert) {
    auto web = master_on_eth0();
    auto wrong = advert_from("10.99.0.2", 51, 100, "10.99.0.200");  // another VIP list
    for (int i = 0; i < 5; ++i) host.deliver("eth0", wrong);
    EXPECT_EQ(web->counters().drops[static_cast<std::size_t>(DropReason::address_mismatch)], 5u)
        << "logged at most every 10 s, counted every time";
    EXPECT_EQ(web->state(), State::master);
}

TEST_F(HostEvents, ASyncGroupFollowsAMemberWhoseInterfaceVanishes) {
    host.set_interface("eth0", interface_up(2, "10.99.0.1"));
    host.set_interface("eth1", interface_up(3, "10.98.0.1"));
    Engine engine(io, host);
    config::Config cfg;
    cfg.instances = {instance_config("outside", "eth0", 51, "10.99.0.100"),
                     instance_config("inside", "eth1", 52, "10.98.0.100")};
    cfg.sync_groups = {{"dlvs", {"outside", "inside"}}};
    engine.apply(cfg);
    ASSERT_TRUE(run_until([&] { return engine.find("outside")->state() == State::master; }));
    ASSERT_TRUE(run_until([&] { return engine.find("inside")->state() == State::master; }));
    host.set_interface("eth1", InterfaceInfo{});
    // Judged at once, or when inside's own VIP request still in flight is answered.
    ASSERT_TRUE(run_until([&] { return engine.find("inside")->state() == State::fault; }));
    EXPECT_EQ(engine.find("outside")->state(), State::fault);
    ASSERT_FALSE(engine.find("outside")->reasons().empty());
    EXPECT_EQ(engine.find("outside")->reasons().front(),
              "sync group dlvs: inside is in FAULT: FAULT");
    ASSERT_TRUE(run_until([&] { return !host.has_address("eth0", "10.99.0.100"); }));
    host.set_interface("eth1", interface_up(4, "10.98.0.1"));
    ASSERT_TRUE(run_until([&] {
        return engine.find("outside")->state() == State::master &&
               engine.find("inside")->state() == State::master;
    }));
    engine.shutdown();
}

TEST_F(HostEvents, Ipv6InstanceAdvertisesFromTheLinkLocalAddressAndAnnouncesItsVips) {
    auto eth0 = interface_up(2, "10.99.0.1");
    eth0.addresses.push_back(make_address("fd99::1"));  // global: not an advert source
    host.set_interface("eth0", eth0);
    auto v6 = make(instance_config("web6", "eth0", 51, "fd99::100"));
    settle();
    EXPECT_EQ(v6->state(), State::fault) << "no link-local address yet";
    EXPECT_EQ(v6->reasons().front(), "no IPv6 link-local address on eth0: FAULT");

    eth0.addresses.push_back(make_address("fe80::99:ff:fe00:1"));
    host.set_interface("eth0", eth0);
    ASSERT_TRUE(run_until([&] { return v6->state() == State::master; }));
    ASSERT_TRUE(run_until([&] { return host.has_address("eth0", "fd99::100"); }));
    settle();
    ASSERT_FALSE(host.sent.empty());
    EXPECT_EQ(host.sent.back().source, make_address("fe80::99:ff:fe00:1"));
    EXPECT_EQ(host.sent.back().destination, make_address("ff02::12"));
    ASSERT_FALSE(host.announcements.empty());
    EXPECT_EQ(host.announcements.back().vips,
              std::vector<config::IpAddress>{make_address("fd99::100")});

    // A higher-priority IPv6 master takes over; an IPv4 advert of the same VRID is not its
    // business.
    auto peer = advert_from("fe80::99:ff:fe00:2", 51, 200, "fd99::100");
    peer.destination = make_address("ff02::12");
    host.deliver("eth0", advert_from("10.99.0.2", 51, 200, "fd99::100"));
    EXPECT_EQ(v6->state(), State::master);
    host.deliver("eth0", peer);
    EXPECT_EQ(v6->state(), State::backup);
}
