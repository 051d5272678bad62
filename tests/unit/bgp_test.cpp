// The BGP tier: the `bgp:` section and `announce: bgp`, when an address is announced, and the
// route announcer against an in-memory routing table.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>

#include "directord/bgp/announce_rule.hpp"
#include "directord/bgp/engine_sessions.hpp"
#include "directord/bgp/route_announcer.hpp"
#include "directord/ipvs/desired.hpp"
#include "directord/ipvs/draining.hpp"
#include "valid_config.hpp"

using namespace directord;
using namespace std::chrono_literals;

namespace {

const char* kAnnounced = R"(
bgp:
  hold_down: 10s
  vips:
    - { address: 192.0.2.20, require: any }
virtual_servers:
  - name: web
    address: 192.0.2.20:80
    announce: bgp
    forwarding: dr
    scheduler: mh
    watermarks: { low: 0.5, high: 0.75 }
    real_servers: [ { address: 10.1.0.1:80 }, { address: 10.1.0.2:80 } ]
  - name: api
    address: 192.0.2.10:443
    announce: bgp
    forwarding: tun
    real_servers: [ { address: 10.1.0.1:443 } ]
)";

std::string with(const std::string& extra_vs_lines, const std::string& top = "bgp: {}\n") {
    return top + "virtual_servers:\n  - address: 192.0.2.10:80\n" + extra_vs_lines +
           "    real_servers: [ { address: 10.1.0.1:80 } ]\n";
}

}  // namespace

TEST(BgpConfig, EveryAnnouncedAddressIsAVipWithItsSettingsInAddressOrder) {
    auto cfg = valid_config(kAnnounced);
    ASSERT_TRUE(cfg.bgp);
    ASSERT_EQ(cfg.bgp->vips.size(), 2u);
    EXPECT_EQ(cfg.bgp->vips[0].address.to_string(), "192.0.2.10");
    EXPECT_TRUE(cfg.bgp->vips[0].require_all);  // the default
    EXPECT_EQ(cfg.bgp->vips[1].address.to_string(), "192.0.2.20");
    EXPECT_FALSE(cfg.bgp->vips[1].require_all);
    EXPECT_EQ(cfg.bgp->route_protocol, 249);
    EXPECT_EQ(cfg.bgp->hold_down, 10s);
    EXPECT_EQ(cfg.bgp->drain, 3s);
    EXPECT_TRUE(cfg.virtual_servers[0].announce);
    EXPECT_EQ(cfg.virtual_servers[0].watermarks, (config::Watermarks{0.5, 0.75}));
}

TEST(BgpConfig, RefusalsNameTheirPlaceAndWhy) {
    auto first = [](const std::string& yaml) {
        auto errors = config_errors(yaml);
        return errors.empty() ? std::string("(loaded)") : errors.front();
    };
    EXPECT_EQ(first(with("    announce: bgp\n    forwarding: dr\n", "")),
              "t.yaml:3:15: virtual_servers[0].announce: announce: bgp needs a bgp: section");
    EXPECT_NE(first(with("    announce: bgp\n")).find("announce: bgp needs forwarding dr or tun"),
              std::string::npos);
    EXPECT_NE(first(with("    announce: bgp\n    forwarding: dr\n    watermarks: { low: 0.8, "
                         "high: 0.5 }\n"))
                  .find("high must be at least low"),
              std::string::npos);
    EXPECT_NE(first(with("    announce: bgp\n    forwarding: dr\n    watermarks: { low: 0, "
                         "high: 0.5 }\n"))
                  .find("watermarks.low: expected a fraction"),
              std::string::npos);
    EXPECT_NE(first(with("    forwarding: dr\n    watermarks: { low: 0.5, high: 0.5 }\n"))
                  .find("watermarks apply to a virtual server with announce: bgp"),
              std::string::npos);
    EXPECT_NE(
        first(with("    announce: bgp\n    forwarding: dr\n", "bgp: { route_protocol: 186 }\n"))
            .find("protocol 186 belongs to the kernel or a routing engine"),
        std::string::npos);
    EXPECT_NE(first(with("    announce: bgp\n    forwarding: dr\n",
                         "bgp: { vips: [ { address: 192.0.2.99 } ] }\n"))
                  .find("bgp.vips[0]: 192.0.2.99 is no address of a virtual server with announce"),
              std::string::npos);
    EXPECT_NE(first("vrrp:\n  instances:\n    - { name: web, interface: eth0, vrid: 51, priority: "
                    "100, vips: [10.0.0.1/24] }\n" +
                    with("    announce: bgp\n    forwarding: dr\n    vrrp_instance: web\n"))
                  .find("announce: bgp and vrrp_instance exclude each other"),
              std::string::npos);
}

TEST(BgpConfig, AnAnnouncedVirtualServerKeepsEveryRealServerInAddressOrder) {
    auto cfg = valid_config(R"(
bgp: {}
virtual_servers:
  - address: 192.0.2.10:80
    announce: bgp
    forwarding: dr
    scheduler: mh
    check: { tcp: {} }
    real_servers: [ { address: 10.1.0.3:80 }, { address: 10.1.0.1:80 }, { address: 10.1.0.2:80 } ]
)");
    ipvs::DesiredState state;
    (void)state.configure(ipvs::Pools(cfg));
    auto listed = [&] {
        std::string out;
        auto table = state.table();
        for (const auto& d : table.front().destinations)
            out += ipvs::describe(d) + "=" + std::to_string(d.weight) + " ";
        return out;
    };
    // Before any check result: every one, at weight 0, by address.
    EXPECT_TRUE(state.table().front().service.ordered);
    EXPECT_EQ(listed(), "10.1.0.1:80=0 10.1.0.2:80=0 10.1.0.3:80=0 ");
    state.set_health({0, 0}, true);  // 10.1.0.3 up
    state.set_health({0, 1}, false);
    EXPECT_EQ(listed(), "10.1.0.1:80=0 10.1.0.2:80=0 10.1.0.3:80=1 ");
    auto refused = config_errors(R"(
bgp: {}
virtual_servers:
  - address: 192.0.2.10:80
    announce: bgp
    forwarding: dr
    on_failure: remove
    sorry_server: 10.1.0.9:80
    real_servers: [ { address: 10.1.0.3:80 } ]
)");
    ASSERT_EQ(refused.size(), 2u);
    EXPECT_NE(refused[0].find("on_failure: announce: bgp keeps a failed real server at weight 0"),
              std::string::npos);
    EXPECT_NE(refused[1].find("sorry_server: announce: bgp has no sorry server"),
              std::string::npos);
}

// Withdraw order on a reload: the address goes first, its service only when the drain ends.
TEST(DrainingServices, AReloadKeepsARemovedAnnouncedServiceForItsDrainOnly) {
    const char* both = R"(
bgp: {}
virtual_servers:
  - { name: web, address: 192.0.2.10:80, announce: bgp, forwarding: dr,
      real_servers: [ { address: 10.1.0.1:80 } ] }
  - { name: db, address: 192.0.2.11:3306, real_servers: [ { address: 10.1.0.1:3306 } ] }
)";
    const char* neither = "bgp: {}\nvirtual_servers: []\n";
    ipvs::Pools before(valid_config(both)), after(valid_config(neither));
    const auto web = before.all()[0].services[0].key, db = before.all()[1].services[0].key;
    ipvs::DrainingServices draining;
    const auto t0 = std::chrono::steady_clock::now();

    EXPECT_TRUE(draining.reconfigured(before, after, 0s, t0).empty());  // no drain: at once
    auto kept = draining.reconfigured(before, after, 3s, t0);
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].pool, "web");
    EXPECT_EQ(ipvs::describe(kept[0].key), "TCP 192.0.2.10:80");
    EXPECT_TRUE(draining.contains(web));
    EXPECT_FALSE(draining.contains(db));
    EXPECT_EQ(draining.next_end(), t0 + 3s);
    // A second reload without it does not push its end further.
    EXPECT_TRUE(draining.reconfigured(after, after, 3s, t0 + 1s).empty());
    EXPECT_EQ(draining.next_end(), t0 + 3s);
    EXPECT_EQ(draining.expire(t0 + 2s), 0u);
    EXPECT_EQ(draining.expire(t0 + 3s), 1u);
    EXPECT_TRUE(draining.empty());
    EXPECT_FALSE(draining.next_end());

    // Configured again during its drain: it is a configured service again, not a draining one.
    (void)draining.reconfigured(before, after, 3s, t0);
    EXPECT_TRUE(draining.reconfigured(after, before, 3s, t0 + 1s).empty());
    EXPECT_TRUE(draining.empty());
}

TEST(ServiceHealth, WatermarksWithdrawBelowLowAndReturnOnlyAtHigh) {
    bgp::ServiceHealth h(config::Watermarks{0.5, 0.75});
    auto live = [&](std::size_t n) { return h.update({"web", 4, n, 0}); };
    EXPECT_FALSE(live(2));  // the first verdict needs high
    EXPECT_TRUE(live(3));
    EXPECT_TRUE(live(2));   // 0.5 is not below low
    EXPECT_FALSE(live(1));  // 0.25
    EXPECT_FALSE(live(2));  // back at 0.5: not yet high
    EXPECT_TRUE(live(3));
    bgp::ServiceHealth plain(std::nullopt);  // no watermarks: one live real server
    EXPECT_TRUE(plain.update({"web", 4, 1, 0}));
    EXPECT_FALSE(plain.update({"web", 4, 0, 0}));
}

TEST(VipHealth, AllOrAnyVirtualServer) {
    bgp::VipHealth all({std::nullopt, std::nullopt}, true);
    std::vector<bgp::ServiceCount> one_sick{{"web", 2, 2, 0}, {"api", 1, 0, 0}};
    EXPECT_EQ(all.judge(one_sick), "api: 0/1 real servers live");
    bgp::VipHealth any({std::nullopt, std::nullopt}, false);
    EXPECT_EQ(any.judge(one_sick), std::nullopt);
}

TEST(VipRule, WarmUpKeepsWhatWasFoundAndMaintenanceWithdrawsAtOnce) {
    auto t0 = bgp::Clock::now();
    bgp::VipRule found(10s, true);
    auto d = found.decide({std::nullopt, 2, std::nullopt}, t0);
    EXPECT_TRUE(d.announce);
    EXPECT_EQ(d.reason, "warming up: 2 real server(s) not checked yet");
    bgp::VipRule fresh(10s, false);
    EXPECT_FALSE(fresh.decide({std::nullopt, 2, std::nullopt}, t0).announce);
    d = found.decide({std::string("maintenance file /m present"), 2, std::nullopt}, t0);
    EXPECT_FALSE(d.announce);
    EXPECT_TRUE(d.changed);
    EXPECT_EQ(d.reason, "maintenance file /m present");
}

TEST(VipRule, HoldDownDelaysTheAnnounceAfterAWithdrawOnly) {
    auto t0 = bgp::Clock::now();
    bgp::VipRule rule(10s, false);
    EXPECT_TRUE(rule.decide({}, t0).announce);  // first announce: no hold-down
    auto d = rule.decide({std::nullopt, 0, std::string("web: 0/2 real servers live")}, t0 + 1s);
    EXPECT_FALSE(d.announce);
    EXPECT_TRUE(d.changed);
    d = rule.decide({}, t0 + 2s);
    EXPECT_FALSE(d.announce);
    ASSERT_TRUE(d.retry_at);
    EXPECT_EQ(*d.retry_at, t0 + 11s);
    EXPECT_EQ(d.reason, "healthy, held down for 9.0 s more");
    d = rule.decide({}, t0 + 11s);
    EXPECT_TRUE(d.announce);
    EXPECT_TRUE(d.changed);
}

namespace {

// The kernel's routes of directord's protocol, in memory.
class FakeRoutes : public bgp::Routes {
  public:
    explicit FakeRoutes(bgp::OwnRoutes& table) : table_(table) {}
    std::optional<std::string> set_delivery(const config::IpAddress& a, bool present) override {
        present ? (void)table_.delivered.insert(a) : (void)table_.delivered.erase(a);
        return std::nullopt;
    }
    std::optional<std::string> set_announced(const config::IpAddress& a, bool present) override {
        present ? (void)table_.announced.insert(a) : (void)table_.announced.erase(a);
        return std::nullopt;
    }
    bgp::OwnRoutes read() override { return table_; }

  private:
    bgp::OwnRoutes& table_;
};

config::IpAddress ip(const char* text) { return boost::asio::ip::make_address(text); }

struct Lab {
    boost::asio::io_context io;
    bgp::OwnRoutes kernel;
    std::map<std::size_t, bgp::ServiceCount> counts;
    bgp::RouteAnnouncer routes{
        io, [this](std::uint8_t) { return std::make_unique<FakeRoutes>(kernel); },
        [this](std::size_t vs) { return counts[vs]; }};
    void turn() {
        io.restart();
        io.poll();
    }
};

}  // namespace

TEST(RouteAnnouncer, AnnouncesAfterTheWarmUpAndWithdrawsWhatIsUnhealthy) {
    Lab lab;
    lab.counts[0] = {"web", 2, 0, 2};
    lab.counts[1] = {"api", 1, 0, 1};
    std::vector<std::string> told;  // what the event stream is told
    lab.routes.on_change([&](const bgp::VipStatus& v) {
        told.push_back(v.address.to_string() + (v.announced ? " announced: " : " withdrawn: ") +
                       v.reason);
    });
    lab.routes.apply(valid_config(kAnnounced));
    lab.turn();
    EXPECT_EQ(lab.kernel.delivered, (std::set{ip("192.0.2.10"), ip("192.0.2.20")}));
    EXPECT_TRUE(lab.kernel.announced.empty());  // warming up
    EXPECT_TRUE(told.empty());
    lab.counts[0] = {"web", 2, 2, 0};
    lab.counts[1] = {"api", 1, 0, 0};
    lab.routes.reevaluate();
    lab.turn();
    EXPECT_EQ(lab.kernel.announced, std::set{ip("192.0.2.20")});
    auto status = lab.routes.status();
    ASSERT_EQ(status.vips.size(), 2u);
    EXPECT_EQ(status.vips[0].reason, "api: 0/1 real servers live");
    EXPECT_EQ(status.vips[1].reason, "healthy");
    EXPECT_EQ(status.vips[1].virtual_servers, std::vector<std::string>{"web"});
    EXPECT_EQ(told, std::vector<std::string>{"192.0.2.20 announced: healthy"});
}

TEST(RouteAnnouncer, ARestartKeepsAFoundRouteAndRemovesStaleOnes) {
    Lab lab;
    lab.kernel.announced = {ip("192.0.2.20"), ip("198.51.100.1")};
    lab.kernel.delivered = {ip("192.0.2.20"), ip("198.51.100.1"), ip("198.51.100.2")};
    lab.counts[0] = {"web", 2, 0, 2};
    lab.counts[1] = {"api", 1, 0, 1};
    lab.routes.apply(valid_config(kAnnounced));
    lab.turn();
    EXPECT_EQ(lab.kernel.announced, std::set{ip("192.0.2.20")});  // kept through the warm-up
    EXPECT_EQ(lab.kernel.delivered, (std::set{ip("192.0.2.10"), ip("192.0.2.20")}));
    lab.counts[0] = {"web", 2, 0, 0};  // checked: all down
    lab.routes.reevaluate();
    lab.turn();
    EXPECT_TRUE(lab.kernel.announced.empty());
}

TEST(RouteAnnouncer, AStopWithdrawsAndAsksForTheDrainAReloadDeliversUntilItEnds) {
    Lab lab;
    lab.counts[0] = {"web", 2, 2, 0};
    lab.counts[1] = {"api", 1, 1, 0};
    std::string yaml = kAnnounced;
    lab.routes.apply(valid_config("bgp: { drain: 50ms }\n" + yaml.substr(yaml.find("virtual"))));
    lab.turn();
    EXPECT_EQ(lab.kernel.announced.size(), 2u);
    // A reload without api: its address is withdrawn at once, still delivered while it drains.
    auto web_only = yaml.substr(yaml.find("virtual"));
    web_only = "bgp: { drain: 50ms }\n" + web_only.substr(0, web_only.find("  - name: api"));
    lab.routes.apply(valid_config(web_only));
    lab.turn();
    EXPECT_EQ(lab.kernel.announced, std::set{ip("192.0.2.20")});
    EXPECT_EQ(lab.kernel.delivered, (std::set{ip("192.0.2.10"), ip("192.0.2.20")}));
    lab.io.restart();
    lab.io.run_for(200ms);
    EXPECT_EQ(lab.kernel.delivered, std::set{ip("192.0.2.20")});
    EXPECT_EQ(lab.routes.withdraw_all(), 50ms);
    EXPECT_TRUE(lab.kernel.announced.empty());
    EXPECT_EQ(lab.routes.withdraw_all(), 0ms);  // nothing left to drain
}

TEST(EngineSessions, FrrAndBirdBgpAndBfdSessionsAreRead) {
    auto frr = bgp::parse_frr_summary(R"(% Can't open configuration file /etc/frr/vtysh.conf
{
  "ipv4Unicast": {"routerId": "10.0.1.2", "as": 65011,
    "peers": {"10.0.1.1": {"remoteAs": 65000, "state": "Established", "pfxRcd": 0},
              "10.0.9.1": {"remoteAs": 65000, "state": "Active"}}},
  "ipv6Unicast": {"peers": {"10.0.1.1": {"state": "Established"}}}}
[{"multihop": false, "peer": "10.0.1.1", "local": "10.0.1.11", "status": "up", "uptime": 9},
 {"multihop": false, "peer": "10.0.9.1", "status": "down"}, {"id": 7}]
)");
    EXPECT_EQ(frr.error, std::nullopt);
    ASSERT_EQ(frr.bfd.size(), 2u);
    EXPECT_EQ(frr.bfd[0].peer, "10.0.1.1");
    EXPECT_TRUE(frr.bfd[0].up);
    EXPECT_EQ(frr.bfd[1].state, "down");
    EXPECT_FALSE(frr.bfd[1].up);
    EXPECT_TRUE(bgp::parse_frr_summary(R"({"ipv4Unicast": {"peers": {}}}
bfdd is not running)")
                    .bfd.empty());
    auto cut = bgp::parse_frr_summary(R"({"ipv4Unicast": {"peers": {"10.0.1.1": {}}}}
[{"peer": "10.0.1.1", "stat)");
    EXPECT_EQ(cut.error, R"(BFD peers not JSON: [{"peer": "10.0.1.1", "stat)");
    EXPECT_EQ(cut.sessions.size(), 1u);  // the BGP sessions are still read
    ASSERT_EQ(frr.sessions.size(), 2u);  // a peer of two families once
    EXPECT_EQ(frr.sessions[0].peer, "10.0.1.1");
    EXPECT_TRUE(frr.sessions[0].established);
    EXPECT_EQ(frr.sessions[1].state, "Active");
    EXPECT_FALSE(frr.sessions[1].established);
    EXPECT_EQ(bgp::parse_frr_summary("% Unknown command").error, "not JSON: % Unknown command");
    auto short_document = bgp::parse_frr_summary("% Can't open vtysh.conf\n{\"ipv4Unicast\": {");
    auto said = short_document.error.value_or("");
    EXPECT_NE(said.find("unexpected end of input"), std::string::npos) << said;
    EXPECT_TRUE(said.ends_with(R"(): {"ipv4Unicast": {)")) << said;

    auto bird = bgp::parse_bird_protocols(R"(BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     13:24:56.801
directord  Kernel     master4    up     13:24:56.801
upstream   BGP        ---        up     13:25:51.197  Established
backup     BGP        ---        start  13:24:57.604  Idle          Error: BFD session down
BIRD 2.0.12 ready.
bfd1:
IP address                Interface  State      Since         Interval  Timeout
10.0.1.1                  eth0       Up         13:25:51.197    0.100    0.300
10.0.9.1                  eth1       Down       13:24:57.604    1.000    0.000
)");
    EXPECT_EQ(bird.error, std::nullopt);
    ASSERT_EQ(bird.bfd.size(), 2u);
    EXPECT_EQ(bird.bfd[0].peer, "10.0.1.1");
    EXPECT_TRUE(bird.bfd[0].up);
    EXPECT_EQ(bird.bfd[1].state, "Down");
    EXPECT_FALSE(bird.bfd[1].up);
    ASSERT_EQ(bird.sessions.size(), 2u);
    EXPECT_TRUE(bird.sessions[0].established);
    EXPECT_EQ(bird.sessions[1].state, "Idle          Error: BFD session down");
    EXPECT_FALSE(bird.sessions[1].established);
    EXPECT_TRUE(bgp::parse_bird_protocols("Unable to connect to server control socket").error);
}
