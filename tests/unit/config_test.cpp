#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../scratch_dir.hpp"
#include "directord/config/loader.hpp"
#include "valid_config.hpp"

using namespace directord::config;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
    auto result = load_text(yaml, "t.yaml");
    std::vector<std::string> out;
    if (auto* errors = std::get_if<std::vector<Error>>(&result))
        for (const auto& e : *errors) out.push_back(e.to_string());
    return out;
}

const char* kMinimal = R"(vrrp:
  instances:
    - name: vi1
      interface: eth0
      vrid: 51
      vips: [10.0.0.100/24]
)";

}  // namespace

TEST(Config, EndpointsAreReadBackFromTheirNames) {
    for (const auto* name : {"10.0.0.1:80", "[fd00::1]:65535", "[::ffff:10.0.0.1]:1"}) {
        auto endpoint = parse_endpoint(name);
        ASSERT_TRUE(endpoint) << name;
        EXPECT_EQ(endpoint_name(endpoint->first, endpoint->second), name);
    }
    for (const auto* bad : {"10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:8x",
                            "[10.0.0.1]:80", "fd00::1:80", "[fd00::1]", "host:80", ":80", ""})
        EXPECT_FALSE(parse_endpoint(bad)) << bad;
}

TEST(Config, MinimalInstanceGetsDefaults) {
    auto cfg = valid_config(kMinimal);
    ASSERT_EQ(cfg.instances.size(), 1u);
    const auto& i = cfg.instances[0];
    EXPECT_EQ(i.version, 2);
    EXPECT_EQ(i.priority, 100);
    EXPECT_EQ(i.advert_interval, 1s);
    EXPECT_TRUE(i.preempt);
    EXPECT_EQ(i.vips[0].prefix_length, 24);
    EXPECT_EQ(i.garp.count, 5u);
    EXPECT_EQ(i.location.line, 3);
}

TEST(Config, FullInstance) {
    auto cfg = valid_config(R"(router_id: d1
maintenance_file: /tmp/directord-down
vrrp:
  instances:
    - name: outside
      interface: eth0
      vrid: 51
      version: 3
      priority: 101
      advert_interval: 100ms
      preempt: false
      preempt_delay: 2s
      vips:
        - 10.0.0.100/24
        - { address: 10.0.0.101/24, label: "eth0:1", scope: link }
      unicast_peers: [10.0.0.2]
      garp: { count: 3, spacing: 10ms, repeat_delay: 0s, refresh: 60s }
      track:
        scripts: [{ name: chk, run: [/bin/true, x], interval: 2s, weight: -20, fall: 2, rise: 3 }]
        interfaces: [eth1, { name: eth2, weight: -10 }]
        files: [{ path: /tmp/down, weight: -5 }]
      notify: [/bin/true]
    - name: inside
      interface: eth1
      vrid: 52
      auth: { type: pass, password: secret12 }
      vips: [192.168.0.1/24]
  sync_groups: [{ name: g, instances: [outside, inside] }]
)");
    ASSERT_EQ(cfg.instances.size(), 2u);
    const auto& o = cfg.instances[0];
    EXPECT_EQ(cfg.router_id, "d1");
    EXPECT_EQ(cfg.maintenance_file, "/tmp/directord-down");
    EXPECT_EQ(o.version, 3);
    EXPECT_EQ(o.advert_interval, 100ms);
    EXPECT_FALSE(o.preempt);
    EXPECT_EQ(o.preempt_delay, 2s);
    EXPECT_EQ(o.vips[1].label, "eth0:1");
    EXPECT_EQ(o.vips[1].scope, AddressScope::link);
    EXPECT_EQ(o.unicast_peers.size(), 1u);
    EXPECT_EQ(o.garp.count, 3u);
    EXPECT_EQ(o.garp.refresh, 60s);
    ASSERT_EQ(o.track_scripts.size(), 1u);
    EXPECT_EQ(o.track_scripts[0].argv, (std::vector<std::string>{"/bin/true", "x"}));
    EXPECT_EQ(o.track_scripts[0].timeout, 2s);  // defaults to the interval
    EXPECT_EQ(o.track_scripts[0].weight, -20);
    EXPECT_EQ(o.track_interfaces[1].weight, -10);
    EXPECT_EQ(o.track_files[0].weight, -5);
    EXPECT_EQ(cfg.instances[1].auth.type, AuthType::pass);
    EXPECT_EQ(cfg.sync_groups[0].instances.size(), 2u);
}

TEST(Config, ReportsEveryErrorWithPositionAndKeyPath) {
    auto errors = errors_of(R"(vrrp:
  instances:
    - name: vi1
      interface: eth0
      vrid: 0
      priority: 300
      colour: blue
      vips: [10.0.0.100/24]
)");
    EXPECT_EQ(
        errors,
        (std::vector<std::string>{
            "t.yaml:7:7: vrrp.instances[0].colour: unknown key (expected one of: name, interface, "
            "vrid, version, priority, advert_interval, preempt, preempt_delay, auth, vips, "
            "excluded_vips, unicast_peers, link_up_delay, stray_vips, garp, track, notify)",
            "t.yaml:5:13: vrrp.instances[0].vrid: 0 is out of range (1..255)",
            "t.yaml:6:17: vrrp.instances[0].priority: 300 is out of range (1..255)",
        }));
}

TEST(Config, ExactMessagesForCommonMistakes) {
    auto check = [](const std::string& instance_body, const std::string& expected) {
        auto errors = errors_of("vrrp:\n  instances:\n    - name: a\n      interface: eth0\n" +
                                instance_body);
        ASSERT_EQ(errors.size(), 1u) << instance_body << (errors.empty() ? "" : "\n" + errors[0]);
        EXPECT_EQ(errors[0], expected);
    };
    check("      vrid: 1\n      vips: [10.0.0.1/33]\n",
          "t.yaml:6:14: vrrp.instances[0].vips[0]: '10.0.0.1/33' has a bad prefix length (0..32)");
    check("      vrid: 1\n      vips: [not-an-ip]\n",
          "t.yaml:6:14: vrrp.instances[0].vips[0]: 'not-an-ip' is not an IP address");
    check("      vrid: 1\n      vips: [10.0.0.1, 'fe80::1']\n",
          "t.yaml:6:24: vrrp.instances[0].vips[1]: all VIPs of an instance must be of one address "
          "family");
    check("      vrid: 1\n      advert_interval: 1500ms\n      vips: [10.0.0.1]\n",
          "t.yaml:6:24: vrrp.instances[0].advert_interval: VRRPv2 advert_interval must be whole "
          "seconds");
    check("      vrid: 1\n      version: 3\n      advert_interval: 5ms\n      vips: [10.0.0.1]\n",
          "t.yaml:7:24: vrrp.instances[0].advert_interval: 5ms is out of range (10ms..40.09s)");
    check(
        "      vrid: 1\n      version: 3\n      auth: {type: pass, password: x}\n      vips: "
        "[10.0.0.1]\n",
        "t.yaml:7:13: vrrp.instances[0].auth: VRRPv3 has no authentication (RFC 5798); remove auth "
        "or use version 2");
    check(
        "      vrid: 1\n      auth: {type: pass, password: waytoolongpassword}\n      vips: "
        "[10.0.0.1]\n",
        "t.yaml:6:36: vrrp.instances[0].auth: a VRRPv2 PASS password is at most 8 characters");
    check("      vrid: 1\n      vips: [10.0.0.1]\n      preempt: maybe\n",
          "t.yaml:7:16: vrrp.instances[0].preempt: expected true or false");
    check("      vrid: 1\n      vips: [10.0.0.1]\n      notify: [sh, -c, x]\n",
          "t.yaml:7:16: vrrp.instances[0].notify[0]: the program must be an absolute path (no "
          "shell is used)");
    check("      vrid: 1\n      vips: [10.0.0.1]\n      notify: [/nonexistent/hook]\n",
          "t.yaml:7:16: vrrp.instances[0].notify[0]: '/nonexistent/hook' does not exist or is not "
          "executable");
    check("      vrid: 1\n      vips: [10.0.0.1]\n      track: {files: [/nonexistent-dir/down]}\n",
          "t.yaml:7:23: vrrp.instances[0].track.files[0]: directory '/nonexistent-dir' does not "
          "exist");
    check("      vips: [10.0.0.1]\n", "t.yaml:3:7: vrrp.instances[0]: missing required key 'vrid'");
    check("      vrid: 1\n      vips: [{address: 10.0.0.1/24, label: 'eth1:0'}]\n",
          "t.yaml:6:14: vrrp.instances[0].vips[0]: label 'eth1:0' must start with the interface "
          "name 'eth0' (e.g. eth0:0)");
    check("      vrid: 1\n      vips: [10.0.0.1/24]\n      excluded_vips: [10.0.0.1/32]\n",
          "t.yaml:7:23: vrrp.instances[0].excluded_vips[0]: 10.0.0.1 is already in vips");
    check("      vrid: 1\n      vips: ['2001:db8::1/64']\n",
          "t.yaml:6:13: vrrp.instances[0].vips: IPv6 VIPs need VRRP version 3 (RFC 5798); VRRPv2 "
          "is IPv4 only");
    check("      vrid: 1\n      version: 3\n      vips: ['fe80::1%eth0']\n",
          "t.yaml:7:14: vrrp.instances[0].vips[0]: 'fe80::1%eth0' is not an IP address");
    check("      vrid: 1\n      vips: [10.0.0.1]\n      unicast_peers: ['fe80::2']\n",
          "t.yaml:7:23: vrrp.instances[0].unicast_peers[0]: a unicast peer must be of the VIPs' "
          "address family");
    check(
        "      vrid: 1\n      version: 3\n      vips: ['fd99::1']\n"
        "      unicast_peers: ['fe80::2', 'fd99::3']\n",
        "t.yaml:8:34: vrrp.instances[0].unicast_peers[1]: unicast peers are all link-local or "
        "all not (the advert source follows them)");
    check(
        "      vrid: 1\n      vips: [10.0.0.1]\n      track: {scripts: [{name: s, run: "
        "[/bin/true], fall: 0}]}\n",
        "t.yaml:7:59: vrrp.instances[0].track.scripts[0].fall: 0 is out of range (1..100)");
}

TEST(Config, ExcludedVipsAreHeldButNotAdvertised) {
    auto cfg = valid_config(
        std::string(kMinimal) +
        "      excluded_vips: [10.0.1.100/24, {address: 10.0.2.1, label: 'eth0:x'}]\n");
    ASSERT_EQ(cfg.instances.size(), 1u);
    const auto& i = cfg.instances[0];
    ASSERT_EQ(i.vips.size(), 1u);
    ASSERT_EQ(i.excluded_vips.size(), 2u);
    EXPECT_EQ(i.excluded_vips[1].label, "eth0:x");
    auto held = i.held_vips();
    ASSERT_EQ(held.size(), 3u);
    EXPECT_EQ(held[0].address.to_string(), "10.0.0.100");
    EXPECT_EQ(held[2].address.to_string(), "10.0.2.1");
}

TEST(Config, Ipv6InstanceWithIpv4ExcludedVipsAndNeighbourAdvertRouterFlag) {
    auto cfg = valid_config(
        "vrrp:\n  instances:\n    - name: v6\n      interface: eth0\n      vrid: 7\n"
        "      version: 3\n      vips: ['fe80::7', '2001:db8::7/64', "
        "{address: '2001:db8::8/64', source_address: true}]\n"
        "      excluded_vips: [10.0.0.7/24]\n      unicast_peers: ['fe80::2']\n"
        "      garp: {na_router: true}\n");
    ASSERT_EQ(cfg.instances.size(), 1u);
    const auto& i = cfg.instances[0];
    EXPECT_TRUE(i.ipv6());
    EXPECT_EQ(i.vips[0].prefix_length, 128);
    EXPECT_EQ(i.vips[1].prefix_length, 64);
    EXPECT_FALSE(i.vips[1].source_address) << "IPv6 VIPs are deprecated unless asked";
    EXPECT_EQ(i.garp.na_router, std::optional<bool>(true));
    EXPECT_TRUE(i.vips[2].source_address);
    EXPECT_EQ(i.held_vips().size(), 4u);
}

TEST(Config, DuplicatesAndSyncGroupReferences) {
    auto errors = errors_of(R"(vrrp:
  instances:
    - { name: a, interface: eth0, vrid: 1, vips: [10.0.0.1] }
    - { name: a, interface: eth0, vrid: 2, vips: [10.0.0.2] }
    - { name: b, interface: eth0, vrid: 1, vips: [10.0.0.3] }
  sync_groups:
    - { name: g, instances: [a, nope] }
)");
    EXPECT_EQ(
        errors,
        (std::vector<std::string>{
            "t.yaml:4:15: vrrp.instances[1].name: duplicate instance name 'a' (first at line 3)",
            "t.yaml:5:41: vrrp.instances[2].vrid: vrid 1 is already used on interface eth0",
            "t.yaml:7:33: vrrp.sync_groups[0].instances[1]: no instance named 'nope'",
        }));
}

TEST(Config, NoInputCrashesTheLoader) {
    // Every prefix and every single-character substitution of a rich file loads or fails cleanly.
    std::string base = R"(router_id: d1
vrrp:
  instances:
    - { name: a, interface: eth0, vrid: 1, priority: 100, vips: [10.0.0.1/24, {address: 10.0.0.2}],
        track: { interfaces: [eth1], scripts: [{name: s, run: [/bin/true]}] }, garp: {count: 1} }
  sync_groups: [{name: g, instances: [a, a]}]
)";
    const std::string alphabet = "{}[]:,-'\"&*!|>%@ a1\n";
    for (std::size_t n = 0; n <= base.size(); ++n)
        EXPECT_NO_THROW(load_text(base.substr(0, n), "f")) << n;
    for (std::size_t i = 0; i < base.size(); ++i) {
        for (char c : alphabet) {
            auto text = base;
            text[i] = c;
            EXPECT_NO_THROW(load_text(text, "f")) << text;
        }
    }
}

TEST(Config, DuplicateKeysAreErrors) {
    auto errors = errors_of("router_id: a\nrouter_id: b\n");
    EXPECT_EQ(errors, std::vector<std::string>{
                          "t.yaml:2:1: router_id: duplicate key (the first one would be used)"});
}

TEST(Config, BrokenYamlAndWrongShapes) {
    auto errors = errors_of("vrrp:\n  instances: [\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_TRUE(errors[0].starts_with("t.yaml:3:1: ")) << errors[0];
    EXPECT_EQ(errors_of(""), std::vector<std::string>{"t.yaml:1:1: the file is empty"});
    EXPECT_EQ(errors_of("- a\n"), std::vector<std::string>{"t.yaml:1:1: expected a mapping"});
    EXPECT_EQ(errors_of("vrrp: {instances: 3}\n"),
              std::vector<std::string>{"t.yaml:1:19: vrrp.instances: expected a list"});
}

TEST(Config, PasswordFileMustBePrivate) {
    ScratchDir dir;
    auto path = dir.path() / "password";
    { std::ofstream(path) << "s3cret\n"; }
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
    std::string yaml =
        "vrrp:\n  instances:\n    - name: a\n      interface: eth0\n      vrid: 1\n"
        "      vips: [10.0.0.1]\n      auth: {type: pass, password_file: " +
        path.string() + "}\n";
    auto errors = errors_of(yaml);
    ASSERT_EQ(errors.size(), 1u) << errors[0] << "\n" << errors[1];
    EXPECT_NE(errors[0].find("must not be readable by group or others"), std::string::npos)
        << errors[0];
    std::filesystem::permissions(path, std::filesystem::perms::owner_read);
    auto cfg = valid_config(yaml);
    ASSERT_EQ(cfg.instances.size(), 1u);
    EXPECT_EQ(cfg.instances[0].auth.password, "s3cret");
}

TEST(Config, VirtualServersAndChecks) {
    auto cfg = valid_config(R"(virtual_servers:
  - name: mysql
    address: 10.80.1.243:3306
    check: { tcp: {}, interval: 6s, timeout: 3s, retries: 3, retry_delay: 3s, fall: 2, rise: 2 }
    real_servers:
      - { address: 192.168.80.167:3306 }
      - { address: 192.168.80.136:3306, weight: 3,
          check: { http: { path: /health, status: [200, 201-204], body_regex: "^ok", host: db.test,
                           reuse_connection: true }, port: 8080 } }
  - address: "[fd00::1]:80"
    protocol: udp
    real_servers: [{ address: "[fd00::2]:80" }]
)");
    ASSERT_EQ(cfg.virtual_servers.size(), 2u);
    const auto& vs = cfg.virtual_servers[0];
    EXPECT_EQ(vs.name, "mysql");
    EXPECT_EQ(vs.frontends.at(0).port, 3306);
    ASSERT_TRUE(vs.check);
    EXPECT_TRUE(std::holds_alternative<TcpCheck>(vs.check->kind));
    EXPECT_EQ(vs.check->interval, 6s);
    EXPECT_EQ(vs.check->retries, 3u);
    EXPECT_FALSE(vs.check->initially_up);
    const auto& rs = vs.real_servers[1];
    EXPECT_EQ(rs.weight, 3u);
    ASSERT_TRUE(rs.check);
    const auto& http = std::get<HttpCheck>(rs.check->kind);
    EXPECT_EQ(http.path, "/health");
    EXPECT_EQ(http.status, (std::vector<StatusRange>{{200, 200}, {201, 204}}));
    EXPECT_TRUE(http.reuse_connection);
    EXPECT_FALSE(HttpCheck{}.reuse_connection) << "keepalived's way by default";
    EXPECT_EQ(rs.check->port, 8080);
    EXPECT_EQ(cfg.virtual_servers[1].name, "[fd00::1]:80");
    EXPECT_EQ(cfg.virtual_servers[1].protocol, "udp");
}

TEST(Config, CheckMistakes) {
    auto errors = errors_of(R"(virtual_servers:
  - address: 10.0.0.1
    check: { tcp: {}, http: {} }
    real_servers: [{ address: 10.0.0.2:80 }, { address: 10.0.0.2:80 }]
  - address: 10.0.0.1:80
    check: { http: { status: 99, body_regex: "(", method: POST } }
    real_servers: []
)");
    EXPECT_EQ(
        errors,
        (std::vector<std::string>{
            "t.yaml:2:14: virtual_servers[0].address: '10.0.0.1' is not ADDRESS:PORT (IPv6: "
            "[ADDRESS]:PORT)",
            "t.yaml:3:12: virtual_servers[0].check: give exactly one check kind: tcp, http, "
            "script, mysql, galera, udp, dns, ping or smtp",
            "t.yaml:4:57: virtual_servers[0].real_servers[1].address: duplicate real server in "
            "this "
            "virtual server",
            "t.yaml:6:59: virtual_servers[1].check.http.method: 'POST' is not GET or HEAD",
            "t.yaml:6:30: virtual_servers[1].check.http.status: '99' is not a status code or range "
            "(e.g. 200, 200-299)",
            "t.yaml:6:46: virtual_servers[1].check.http.body_regex: not a valid regular "
            "expression (RE2 syntax): missing ): (",
        }));
}

// Patterns that made std::regex backtrack for minutes or overflow an int are refused at load
// time; what RE2 accepts it matches in linear time.
TEST(Config, BodyRegexesThatCannotBeMatchedSafelyAreRefused) {
    for (std::string pattern : {"^(^|).?*c$", "x*****y", "a{100000}", "(a{1000}){1000}"}) {
        auto errors = errors_of(
            "virtual_servers:\n  - address: 10.0.0.1:80\n"
            "    check: { http: { body_regex: '" +
            pattern + "' } }\n    real_servers: []\n");
        ASSERT_EQ(errors.size(), 1u) << pattern;
        EXPECT_NE(errors[0].find("body_regex: not a valid regular expression (RE2 syntax)"),
                  std::string::npos)
            << errors[0];
    }
}

TEST(Config, MysqlAndGaleraChecksReadAPrivatePasswordFile) {
    ScratchDir dir;
    auto path = dir.path() / "mysql-password";
    std::ofstream(path) << "monitor-secret\n";
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto cfg = valid_config(
        "virtual_servers:\n  - address: 10.0.0.1:3306\n    check: { galera: { user: monitor, "
        "password_file: " +
        path.string() +
        ", donor_ok: true } }\n"
        "    real_servers: [{ address: 10.0.0.2:3306, check: { mysql: { user: m, password_file: " +
        path.string() + ", query: 'SELECT 1 FROM dual' } } }]\n");
    ASSERT_EQ(cfg.virtual_servers.size(), 1u);
    const auto& galera = std::get<GaleraCheck>(cfg.virtual_servers[0].check->kind);
    EXPECT_EQ(galera.user, "monitor");
    EXPECT_EQ(galera.password, "monitor-secret");
    EXPECT_TRUE(galera.donor_ok);
    const auto& mysql = std::get<MysqlCheck>(cfg.virtual_servers[0].real_servers[0].check->kind);
    EXPECT_EQ(mysql.query, "SELECT 1 FROM dual");
    std::filesystem::remove(path);
}

TEST(Config, TrackChecks) {
    auto cfg = valid_config(R"(vrrp:
  instances:
    - name: db
      interface: eth0
      vrid: 9
      vips: [10.0.0.9/24]
      track:
        checks: [{ name: mysqld, target: 127.0.0.1:3306, weight: -30, check: { tcp: {}, interval: 1s } }]
)");
    ASSERT_EQ(cfg.instances.size(), 1u);
    ASSERT_EQ(cfg.instances[0].track_checks.size(), 1u);
    const auto& t = cfg.instances[0].track_checks[0];
    EXPECT_EQ(t.name, "mysqld");
    EXPECT_EQ(t.port, 3306);
    EXPECT_EQ(t.weight, -30);
    EXPECT_EQ(t.check.interval, 1s);
    EXPECT_EQ(
        errors_of(
            "vrrp:\n  instances:\n    - name: a\n      interface: eth0\n      vrid: 1\n"
            "      vips: [10.0.0.1]\n      track: { checks: [{ name: x, target: 127.0.0.1 }] }\n"),
        (std::vector<std::string>{
            "t.yaml:7:44: vrrp.instances[0].track.checks[0].target: '127.0.0.1' is not "
            "ADDRESS:PORT (IPv6: "
            "[ADDRESS]:PORT)",
            "t.yaml:7:25: vrrp.instances[0].track.checks[0]: missing required key 'check'"}));
}

TEST(Config, ProcessNiceForTheEventLoop) {
    auto cfg = valid_config(std::string(kMinimal) + "process: { nice: -10 }\n");
    EXPECT_EQ(cfg.process.nice, std::optional<int>(-10));
    EXPECT_FALSE(valid_config(std::string(kMinimal)).process.nice.has_value())
        << "unset: as started";
    auto errors = errors_of(std::string(kMinimal) + "process: { nice: -21, realtime: 5 }\n");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0],
              "t.yaml:7:23: process.realtime: unknown key (expected one of: nice, script_user, "
              "root_programs)");
    EXPECT_EQ(errors[1], "t.yaml:7:18: process.nice: -21 is out of range (-20..19)");
}

// A real server's own check is boxed (one pointer in place) but stays a value: copies are deep
// and compare by what they hold.
TEST(Boxed, CopiesAreDeepAndCompareByValue) {
    RealServer a;
    EXPECT_FALSE(a.check);
    Check check;
    check.port = 8080;
    a.check = check;
    RealServer b = a;
    ASSERT_TRUE(b.check);
    EXPECT_NE(&*a.check, &*b.check);
    EXPECT_EQ(a, b);
    b.check->port = 9090;
    EXPECT_EQ(a.check->port, 8080);
    EXPECT_NE(a, b);
    b.check = std::nullopt;
    EXPECT_NE(a, b);
    a.check = std::nullopt;
    EXPECT_EQ(a, b);
}
