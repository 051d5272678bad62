// Virtual-server groups (keepalived's virtual_server_group): several IPVS services, address and
// port ranges and firewall marks, sharing one pool of real servers, its health and its quorum.
#include <gtest/gtest.h>

#include "directord/healthcheck/checker.hpp"
#include "directord/ipvs/desired.hpp"
#include "valid_config.hpp"

using namespace directord;

namespace {

using Strings = std::vector<std::string>;

const char* kGroup = R"(
virtual_servers:
  - name: web
    group:
      - { address: 10.0.0.100, port: 80 }
      - { address: 10.0.0.101-102, port: 443 }
      - { address: 10.0.0.8/31, port: 8000-8001 }
      - { fwmark: 7 }
    scheduler: wrr
    quorum: 2
    check: { tcp: {} }
    real_servers:
      - { address: 10.0.1.1:80, weight: 2 }
      - { address: 10.0.1.2:80 }
)";

Strings services_of(const ipvs::Table& table) {
    Strings out;
    for (const auto& vs : table) {
        std::string line = ipvs::describe(vs.service.key) + " " + vs.service.scheduler + ":";
        for (const auto& d : vs.destinations)
            line += " " + ipvs::describe(d) + "=" + std::to_string(d.weight);
        out.push_back(line);
    }
    return out;
}

}  // namespace

TEST(VirtualServerGroups, RangesExpandToOneServiceEachWithTheSameSettings) {
    auto cfg = valid_config(kGroup);
    ASSERT_EQ(cfg.virtual_servers.size(), 1u);
    EXPECT_EQ(cfg.virtual_servers[0].frontends.size(), 8u);
    auto pool = ipvs::pool_of(cfg.virtual_servers[0]);
    Strings keys;
    for (const auto& s : pool.services) keys.push_back(ipvs::describe(s.key) + " " + s.scheduler);
    EXPECT_EQ(keys,
              (Strings{"TCP 10.0.0.100:80 wrr", "TCP 10.0.0.101:443 wrr", "TCP 10.0.0.102:443 wrr",
                       "TCP 10.0.0.8:8000 wrr", "TCP 10.0.0.8:8001 wrr", "TCP 10.0.0.9:8000 wrr",
                       "TCP 10.0.0.9:8001 wrr", "FWM 7 wrr"}));
}

TEST(VirtualServerGroups, OneHealthAndOneQuorumForEveryService) {
    auto cfg = valid_config(kGroup);
    ipvs::DesiredState state;
    (void)state.configure(ipvs::Pools(cfg));
    std::vector<ipvs::QuorumChange> events;
    EXPECT_EQ(state.table({}, &events).size(), 8u);  // waiting for the checks: empty
    EXPECT_TRUE(state.set_health({0, 0}, true));
    EXPECT_TRUE(state.set_health({0, 1}, true));
    auto up = services_of(state.table({}, &events));
    ASSERT_EQ(up.size(), 8u);
    for (const auto& line : up)
        EXPECT_NE(line.find(": 10.0.1.1:80=2 10.0.1.2:80=1"), std::string::npos) << line;
    EXPECT_TRUE(events.empty());  // the start is not a quorum change

    // One real server down leaves every service at once; the pool's quorum is counted once
    // (live weight 2 of quorum 2, not 2 per service).
    state.set_health({0, 0}, false);
    auto down = services_of(state.table({}, &events));
    for (const auto& line : down) EXPECT_NE(line.find(": 10.0.1.2:80=1"), std::string::npos);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].text, "web: quorum lost (live weight 1, quorum 2)");
    EXPECT_EQ(state.keys().size(), 8u);
}

TEST(VirtualServerGroups, OneProbePerRealServerWhateverTheGroupSize) {
    boost::asio::io_context io;
    healthcheck::HealthChecker checker(io);
    checker.apply(valid_config(kGroup));
    EXPECT_EQ(checker.monitor_count(), 2u);
}

TEST(VirtualServerGroups, IPv6RangesAndShortForms) {
    auto cfg = valid_config(R"(
virtual_servers:
  - name: v6
    group:
      - { address: "fd00::1-fd00::3", port: 80 }
      - { address: "fd00::10-11", port: 80 }
    real_servers: [{ address: "[fd00:1::1]:80" }]
)");
    ASSERT_EQ(cfg.virtual_servers.size(), 1u);
    Strings names;
    for (const auto& f : cfg.virtual_servers[0].frontends) names.push_back(f.address.to_string());
    EXPECT_EQ(names, (Strings{"fd00::1", "fd00::2", "fd00::3", "fd00::10", "fd00::11"}));
}

TEST(VirtualServerGroups, MistakesAreRefusedWithTheirPlace) {
    auto errors = config_errors(R"(
virtual_servers:
  - group:
      - { address: 10.0.0.1, port: 80 }
      - { address: 10.0.0.9/29, port: 80 }
      - { address: 10.0.0.5-10.0.0.4, port: 80 }
      - { address: 10.0.0.1, port: 90-80 }
      - { address: "fd00::1", port: 80 }
      - { fwmark: 3, port: 80 }
      - { address: 10.0.0.0/16, port: 80 }
    real_servers: [{ address: 10.0.1.1:80 }]
  - name: twice
    address: 10.0.0.1:80
    group: [{ fwmark: 1 }]
    real_servers: [{ address: 10.0.1.1:80 }]
  - name: a
    group: [{ address: 10.0.0.50-51, port: 80 }]
    real_servers: [{ address: 10.0.1.1:80 }]
  - address: 10.0.0.51:80
    real_servers: [{ address: 10.0.1.1:80 }]
)");
    EXPECT_EQ(
        errors,
        (Strings{"t.yaml:5:20: virtual_servers[0].group[1].address: '10.0.0.9/29': the address "
                 "has bits set beyond the prefix",
                 "t.yaml:6:20: virtual_servers[0].group[2].address: '10.0.0.5-10.0.0.4': the "
                 "range ends before it starts",
                 "t.yaml:7:36: virtual_servers[0].group[3].port: '90-80' is not a port "
                 "(1..65535) or FIRST-LAST",
                 "t.yaml:9:9: virtual_servers[0].group[5]: a fwmark entry has no address or port "
                 "(the mark selects the traffic)",
                 "t.yaml:10:9: virtual_servers[0].group[6]: a group holds at most 1024 services "
                 "(one per address and port)",
                 "t.yaml:3:5: virtual_servers[0]: a group needs a name",
                 "t.yaml:4:7: virtual_servers[0].group: a group's addresses are all IPv4 or all "
                 "IPv6",
                 "t.yaml:12:5: virtual_servers[1]: address, fwmark and group exclude each other "
                 "(a fwmark service has no address; a group lists its addresses and marks)",
                 "t.yaml:19:5: virtual_servers[3]: tcp 10.0.0.51:80 is already a service of "
                 "virtual server 'a'"}));
}
