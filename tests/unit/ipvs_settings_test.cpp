// The IPVS settings keepalived users rely on: connection timeouts, the sync daemon's multicast
// parameters, overload thresholds, SIP persistence, IPv6 persistence prefixes and SCTP services,
// as the loader reads them and as they reach the kernel's table.
#include <gtest/gtest.h>

#include "directord/ipvs/desired.hpp"
#include "valid_config.hpp"

using namespace directord;
using namespace std::chrono_literals;

TEST(IpvsSettings, EverySettingReachesTheTable) {
    auto cfg = valid_config(R"(
vrrp:
  instances:
    - { name: sip, interface: eth0, vrid: 51, vips: [10.0.0.100/24] }
ipvs:
  timeouts: { tcp: 900s, udp: 5m }
  sync_daemon: { interface: eth1, instance: sip, sync_id: 3, group: 239.0.0.7, port: 8900,
                 ttl: 2, max_length: 1400 }
virtual_servers:
  - address: 10.0.0.100:5060
    protocol: udp
    persistence: { timeout: 60s, engine: sip }
    real_servers:
      - { address: 10.0.1.1:5060, upper_threshold: 100, lower_threshold: 80 }
      - { address: 10.0.1.2:5060, upper_threshold: 50 }
  - address: "[2001:db8::100]:443"
    persistence: { timeout: 2m, prefix: 64 }
    real_servers: [{ address: "[2001:db8::1]:443" }]
  - address: 10.0.0.100:2905
    protocol: sctp
    real_servers: [{ address: 10.0.1.3:2905 }]
)");
    EXPECT_EQ(cfg.ipvs.timeouts, (config::IpvsTimeouts{900s, 0s, 300s}));
    ASSERT_TRUE(cfg.ipvs.sync_daemon);
    const auto& d = *cfg.ipvs.sync_daemon;
    EXPECT_EQ(d.group, boost::asio::ip::make_address("239.0.0.7"));
    EXPECT_EQ(d.port, 8900);
    EXPECT_EQ(d.ttl, 2);
    EXPECT_EQ(d.max_length, 1400);

    auto sip = ipvs::pool_of(cfg.virtual_servers[0]);
    EXPECT_EQ(sip.services.front().persistence_engine, "sip");
    EXPECT_EQ(sip.services.front().timeout, 60u);
    EXPECT_EQ(sip.members[0].destination.upper_threshold, 100u);
    EXPECT_EQ(sip.members[0].destination.lower_threshold, 80u);
    EXPECT_EQ(sip.members[1].destination.lower_threshold, 0u);  // the kernel's 3/4
    auto v6 = ipvs::pool_of(cfg.virtual_servers[1]);
    EXPECT_EQ(v6.services.front().netmask, 64u);
    auto sctp = ipvs::pool_of(cfg.virtual_servers[2]);
    EXPECT_EQ(ipvs::describe(sctp.services.front().key), "SCTP 10.0.0.100:2905");
}

TEST(IpvsSettings, ExactMessagesForMistakes) {
    EXPECT_EQ(
        config_errors(R"(
ipvs:
  timeouts: { tcp: 1500ms, udp: 3000000s, syn: 5s }
  sync_daemon: { interface: eth1, instance: "", group: 10.0.0.1, ttl: 0, max_length: 70 }
virtual_servers:
  - address: 10.0.0.100:80
    persistence: { timeout: 60s, prefix: 64, engine: h323 }
    real_servers:
      - { address: 10.0.1.1:80, lower_threshold: 10 }
      - { address: 10.0.1.2:80, upper_threshold: 10, lower_threshold: 10 }
  - address: "[2001:db8::100]:80"
    persistence: { timeout: 60s, netmask: 255.255.255.0 }
    real_servers: [{ address: "[2001:db8::1]:80" }]
)"),
        (std::vector<std::string>{
            "t.yaml:7:54: virtual_servers[0].persistence.engine: 'h323' is not sip",
            "t.yaml:9:50: virtual_servers[0].real_servers[0].lower_threshold: needs an "
            "upper_threshold (the overload it ends)",
            "t.yaml:10:71: virtual_servers[0].real_servers[1].lower_threshold: must be below "
            "upper_threshold",
            "t.yaml:7:42: virtual_servers[0].persistence.prefix: an IPv4 service groups clients by "
            "netmask, not prefix",
            "t.yaml:12:43: virtual_servers[1].persistence.netmask: an IPv6 service groups clients "
            "by prefix (prefix: 64), not netmask",
            "t.yaml:3:43: ipvs.timeouts.syn: unknown key (expected one of: tcp, tcp_fin, udp)",
            "t.yaml:3:20: ipvs.timeouts.tcp: the kernel counts connection timeouts in whole "
            "seconds",
            "t.yaml:3:33: ipvs.timeouts.udp: 3000000s is out of range (1s..2000000s)",
            "t.yaml:4:56: ipvs.sync_daemon.group: '10.0.0.1' is not a multicast address",
            "t.yaml:4:71: ipvs.sync_daemon.ttl: 0 is out of range (1..255)",
            "t.yaml:4:86: ipvs.sync_daemon.max_length: 70 is out of range (80..65507)",
        }));
}
