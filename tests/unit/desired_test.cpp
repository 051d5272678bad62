// The desired IPVS table from configuration, health and VRRP roles.
#include "directord/ipvs/desired.hpp"

#include <gtest/gtest.h>

#include "directord/config/loader.hpp"
#include "valid_config.hpp"

using namespace directord;
using namespace directord::ipvs;

namespace {

DesiredState state_of(const config::Config& cfg) {
    DesiredState state;
    (void)state.configure(Pools(cfg));
    return state;
}

std::vector<std::string> weights(const VirtualService& vs) {
    std::vector<std::string> out;
    for (const auto& d : vs.destinations)
        out.push_back(describe(d) + "=" + std::to_string(d.weight));
    return out;
}

using Strings = std::vector<std::string>;

// A member's id as the checks would carry it; one of no pool when there is none so named.
config::RealServerId member(const DesiredState& state, const std::string& pool,
                            const std::string& name) {
    const auto& pools = state.pools();
    auto p = pools.find(pool);
    auto m = p ? pools.find_member(*p, name) : std::nullopt;
    if (!m) return {UINT32_MAX, UINT32_MAX};
    return {static_cast<std::uint32_t>(*p), static_cast<std::uint32_t>(*m)};
}

Strings texts(const std::vector<QuorumChange>& changes) {
    Strings out;
    for (const auto& c : changes) out.push_back(c.text);
    return out;
}

const char* kWeb = R"(
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, priority: 100, vips: [10.0.0.100/24] }
virtual_servers:
  - name: www
    address: 10.0.0.100:80
    scheduler: rr
    forwarding: dr
    persistence: { timeout: 50s, netmask: 255.255.255.0 }
    sorry_server: 127.0.0.1:80
    check: { tcp: {} }
    real_servers:
      - { address: 10.0.1.1:80, weight: 2 }
      - { address: 10.0.1.2:80, weight: 1, check: { tcp: {}, interval: 5s } }
  - name: db
    address: 10.0.0.100:3306
    on_failure: inhibit
    quorum: 2
    quorum_hysteresis: 1
    vrrp_instance: web
    check: { tcp: {} }
    real_servers:
      - { address: 10.0.2.1:3306, forwarding: nat }
      - { address: 10.0.2.2:3306, weight: 2 }
  - name: marks
    fwmark: 42
    scheduler: sh
    scheduler_flags: [fallback, port]
    real_servers:
      - { address: 10.0.3.1:80 }
)";

}  // namespace

TEST(DesiredState, ServicesCarryEverySetting) {
    auto cfg = valid_config(kWeb);
    auto www = pool_of(cfg.virtual_servers[0]).services.front();
    EXPECT_EQ(describe(www.key), "TCP 10.0.0.100:80");
    EXPECT_EQ(www.scheduler, "rr");
    EXPECT_EQ(www.flags, kPersistent);
    EXPECT_EQ(www.timeout, 50u);
    EXPECT_EQ(www.netmask, 0xffffff00u);
    auto marks = pool_of(cfg.virtual_servers[2]).services.front();
    EXPECT_EQ(describe(marks.key), "FWM 42");
    EXPECT_EQ(marks.flags, kSchedulerFlag1 | kSchedulerFlag2);
    auto db = pool_of(cfg.virtual_servers[1]);
    EXPECT_EQ(db.members[0].destination.forward, Forward::nat);
    EXPECT_EQ(pool_of(cfg.virtual_servers[0]).members[0].destination.forward, Forward::direct);
}

TEST(DesiredState, CheckedServersWaitForTheirFirstSuccessThenFollowHealth) {
    auto state = state_of(valid_config(kWeb));
    std::vector<QuorumChange> events;
    auto t = state.table({}, &events);
    ASSERT_EQ(t.size(), 2u);                              // db waits for its instance to be MASTER
    EXPECT_EQ(weights(t[0]), Strings{"127.0.0.1:80=1"});  // nobody up yet: the sorry server
    EXPECT_EQ(weights(t[1]), Strings{"10.0.3.1:80=1"});   // unchecked: always up
    EXPECT_TRUE(events.empty());                          // the start is not an event
    EXPECT_TRUE(state.set_health(member(state, "www", "10.0.1.1:80"), true));
    EXPECT_FALSE(state.set_health(member(state, "www", "10.0.1.1:80"), true));
    EXPECT_FALSE(state.set_health(member(state, "www", "10.9.9.9:80"), true));  // unknown: ignored
    t = state.table({}, &events);
    EXPECT_EQ(weights(t[0]), Strings{"10.0.1.1:80=2"});
    EXPECT_TRUE(events.empty());
    state.set_health(member(state, "www", "10.0.1.1:80"), false);
    state.table({}, &events);
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    state.table({}, &events);
    EXPECT_EQ(texts(events), (Strings{"www: quorum lost (live weight 0, quorum 1): sorry server "
                                      "127.0.0.1:80 takes the traffic",
                                      "www: quorum reached (live weight 2, quorum 1): sorry server "
                                      "withdrawn"}));
    events.clear();
    state.set_health(member(state, "www", "10.0.1.1:80"), false);
    events.clear();
    t = state.table({}, &events);
    EXPECT_EQ(weights(t[0]), Strings{"127.0.0.1:80=1"});
    EXPECT_EQ(texts(events), Strings{"www: quorum lost (live weight 0, quorum 1): sorry server "
                                     "127.0.0.1:80 takes the traffic"});
}

TEST(DesiredState, InhibitKeepsFailedServersAtWeightZeroAndQuorumHasHysteresis) {
    auto state = state_of(valid_config(kWeb));
    EXPECT_TRUE(state.set_role("web", true));
    auto db = [&] { return state.table()[1]; };
    EXPECT_EQ(describe(db().service.key), "TCP 10.0.0.100:3306");
    EXPECT_EQ(weights(db()), (Strings{"10.0.2.1:3306=0", "10.0.2.2:3306=0"}));
    std::vector<QuorumChange> events;
    state.set_health(member(state, "db", "10.0.2.2:3306"),
                     true);  // live 2 < quorum 2 + hysteresis 1
    state.table({}, &events);
    EXPECT_TRUE(events.empty());
    state.set_health(member(state, "db", "10.0.2.1:3306"),
                     true);  // live 3: reached (the start: untold)
    state.table({}, &events);
    state.set_health(member(state, "db", "10.0.2.2:3306"),
                     false);  // live 1 = quorum - hysteresis: held
    EXPECT_EQ(weights(db()), (Strings{"10.0.2.1:3306=1", "10.0.2.2:3306=0"}));
    state.table({}, &events);
    EXPECT_TRUE(events.empty());
    state.set_health(member(state, "db", "10.0.2.1:3306"),
                     false);  // live 0: lost (no sorry server)
    state.table({}, &events);
    EXPECT_EQ(texts(events), Strings{"db: quorum lost (live weight 0, quorum 2)"});
    state.set_health(member(state, "db", "10.0.2.2:3306"),
                     true);  // live 2 < quorum 2 + hysteresis 1
    state.table({}, &events);
    EXPECT_EQ(events.size(), 1u);
    EXPECT_TRUE(state.set_role("web", false));
    EXPECT_EQ(state.table().size(), 2u);  // db gone with the MASTER role
}

TEST(DesiredState, QuorumIsToldWhenFirstResultsLeaveAPoolWithoutItButNotOnReload) {
    auto cfg = valid_config(kWeb);
    auto state = state_of(cfg);
    std::vector<QuorumChange> events;
    state.table({}, &events);
    state.set_health(member(state, "www", "10.0.1.1:80"),
                     false);  // every member's first result: down
    state.table({}, &events);
    EXPECT_TRUE(events.empty());  // 10.0.1.2 has not told yet
    state.set_health(member(state, "www", "10.0.1.2:80"), false);
    state.table({}, &events);
    EXPECT_EQ(texts(events), Strings{"www: quorum lost (live weight 0, quorum 1): sorry server "
                                     "127.0.0.1:80 takes the traffic"});
    events.clear();
    (void)state.configure(Pools(cfg));  // a reload: www's members wait again, quorum stays lost
    state.table({}, &events);
    state.set_health(member(state, "www", "10.0.1.1:80"), false);
    state.set_health(member(state, "www", "10.0.1.2:80"), false);
    state.table({}, &events);
    EXPECT_TRUE(events.empty());
}

TEST(DesiredState, UpdatesCarryOnlyThePoolsEventsTouched) {
    auto state = state_of(valid_config(kWeb));
    auto first = state.update({});
    EXPECT_TRUE(first.whole);  // after configure(): everything
    EXPECT_EQ(first.table.size(), 2u);
    auto quiet = state.update({});
    EXPECT_FALSE(quiet.whole);
    EXPECT_TRUE(quiet.scope.empty());
    EXPECT_TRUE(quiet.table.empty());

    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    auto health = state.update({});
    ASSERT_EQ(health.scope.size(), 1u);
    EXPECT_EQ(describe(health.scope[0]), "TCP 10.0.0.100:80");
    ASSERT_EQ(health.table.size(), 1u);
    EXPECT_EQ(weights(health.table[0]), Strings{"10.0.1.1:80=2"});

    EXPECT_FALSE(state.set_role("other", true));  // no pool is tied to it
    EXPECT_TRUE(state.set_role("web", true));
    auto role = state.update({});
    ASSERT_EQ(role.scope.size(), 1u);
    EXPECT_EQ(describe(role.scope[0]), "TCP 10.0.0.100:3306");
    EXPECT_EQ(role.table.size(), 1u);  // db comes in with the MASTER role
    state.set_role("web", false);
    role = state.update({});
    EXPECT_EQ(role.scope.size(), 1u);
    EXPECT_TRUE(role.table.empty());  // and is to be absent without it
}

// A restart over a running table: real servers the kernel has stay as they are until their
// first check result, so adopting the table changes nothing.
TEST(DesiredState, UnknownServersStayAsTheKernelHasThem) {
    auto cfg = valid_config(kWeb);
    auto state = state_of(cfg);
    auto www = pool_of(cfg.virtual_servers[0]);
    auto kernel =
        by_key({VirtualService{www.services.front(), {www.members[1].destination}}});  // 10.0.1.2
    auto t = state.table(kernel);
    EXPECT_EQ(weights(t[0]), Strings{"10.0.1.2:80=1"});  // kept; 10.0.1.1 not added unchecked
    state.set_health(member(state, "www", "10.0.1.2:80"), false);
    EXPECT_EQ(weights(state.table(kernel)[0]), Strings{"127.0.0.1:80=1"});  // now known: down
}

TEST(DesiredState, LoaderRefusesBadIpvsSettings) {
    auto result = config::load_text(R"(
virtual_servers:
  - address: 10.0.0.1:80
    scheduler: fastest
    real_servers: [{ address: 10.0.1.1:80 }]
  - address: 10.0.0.1:81
    scheduler: rr
    scheduler_flags: [port]
    vrrp_instance: nope
    real_servers: [{ address: "[2001:db8::1]:80" }]
  - fwmark: 7
    address: 10.0.0.1:82
    real_servers: [{ address: 10.0.1.1:80 }]
ipvs:
  sync_daemon: { interface: eth1, instance: ghost }
)",
                                    "bad.yaml");
    auto* errors = std::get_if<std::vector<config::Error>>(&result);
    ASSERT_NE(errors, nullptr);
    std::string all;
    for (const auto& e : *errors) all += e.to_string() + "\n";
    EXPECT_NE(all.find("bad.yaml:4:16: virtual_servers[0].scheduler: "), std::string::npos) << all;
    EXPECT_NE(all.find("scheduler flags exist for the sh and mh schedulers only"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("virtual_servers[1].vrrp_instance: no VRRP instance named 'nope'"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("a real server must be of the virtual server's address family"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("address, fwmark and group exclude each other"), std::string::npos) << all;
    EXPECT_NE(all.find("ipvs.sync_daemon.instance: no VRRP instance named 'ghost'"),
              std::string::npos)
        << all;
}

TEST(DesiredState, AMemberIsFoundByItsOwnNameOnly) {
    auto state = state_of(valid_config(R"(
virtual_servers:
  - name: six
    address: "[2001:db8::100]:80"
    real_servers:
      - { address: "[2001:db8::2]:80" }
      - { address: "[2001:db8::1]:8080" }
      - { address: "[2001:db8::1]:80" }
)"));
    const auto& pools = state.pools();
    auto found = [&](const std::string& name) { return pools.find_member(0, name); };
    EXPECT_EQ(found("[2001:db8::1]:80"), 2u);
    EXPECT_EQ(found("[2001:db8::1]:8080"), 1u);
    EXPECT_EQ(found("[2001:db8::2]:80"), 0u);
    EXPECT_EQ(pools.all()[0].members[2].name(), "[2001:db8::1]:80");
    // Other spellings of a member's endpoint are not its name (operator weights are kept by
    // name), and neither are other endpoints or text.
    for (const auto* other : {"[2001:DB8::1]:80", "[2001:db8:0::1]:80", "[2001:db8::1]:080",
                              "2001:db8::1:80", "[2001:db8::3]:80", "[2001:db8::1]", "www", ""})
        EXPECT_EQ(found(other), std::nullopt) << other;
}

TEST(DesiredState, OperatorWeightsReplaceConfiguredOnesWhateverTheHealthAndSurviveReloads) {
    auto cfg = valid_config(kWeb);
    auto state = state_of(cfg);
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    state.set_health(member(state, "www", "10.0.1.2:80"), true);
    auto www = [&] { return weights(state.table()[0]); };
    EXPECT_TRUE(state.set_operator_weight("www", "10.0.1.1:80", 0));  // drained
    EXPECT_FALSE(state.set_operator_weight("www", "10.0.1.1:80", 0));
    EXPECT_FALSE(state.set_operator_weight("www", "10.9.9.9:80", 0));  // unknown member
    EXPECT_FALSE(state.set_operator_weight("nope", "10.0.1.1:80", 0));
    EXPECT_TRUE(state.set_operator_weight("www", "10.0.1.2:80", 7));
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=7"}));
    // A drained member that fails leaves as any other; one that comes back is still drained.
    state.set_health(member(state, "www", "10.0.1.1:80"), false);
    EXPECT_EQ(www(), Strings{"10.0.1.2:80=7"});
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=7"}));
    // Kept across a reload; a member no longer configured takes its weight with it.
    (void)state.configure(Pools(cfg));
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    state.set_health(member(state, "www", "10.0.1.2:80"), true);
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=7"}));
    // A server added before them moves their indexes, not their weights.
    auto larger = cfg;
    auto& servers = larger.virtual_servers[0].real_servers;
    servers.insert(servers.begin(), servers.back());
    servers.front().address = boost::asio::ip::make_address("10.0.1.9");
    (void)state.configure(Pools(larger));
    EXPECT_EQ(state.operator_weight(0, 1), 0u);
    EXPECT_EQ(state.operator_weight(0, 2), 7u);
    EXPECT_EQ(state.operator_weight(0, 0), std::nullopt);
    EXPECT_EQ(state.operator_weights(),
              (DesiredState::OperatorWeights{{"www", {{"10.0.1.1:80", 0}, {"10.0.1.2:80", 7}}}}));
    auto smaller = cfg;
    smaller.virtual_servers[0].real_servers.pop_back();
    std::vector<std::string> forgotten;
    (void)state.configure(Pools(smaller), &forgotten);
    EXPECT_EQ(forgotten, Strings{"www 10.0.1.2:80"});
    EXPECT_EQ(state.operator_weights().at("www").size(), 1u);
    // Back to the configured weight.
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    EXPECT_TRUE(state.set_operator_weight("www", "10.0.1.1:80", std::nullopt));
    EXPECT_EQ(www(), Strings{"10.0.1.1:80=2"});
    EXPECT_TRUE(state.operator_weights().empty());
}

TEST(DesiredState, DrainingEveryMemberLosesQuorumAndTheSorryServerTakesNewTraffic) {
    auto state = state_of(valid_config(kWeb));
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    state.set_health(member(state, "www", "10.0.1.2:80"), true);
    std::vector<QuorumChange> events;
    state.table({}, &events);
    state.set_operator_weight("www", "10.0.1.1:80", 0);
    state.set_operator_weight("www", "10.0.1.2:80", 0);
    auto t = state.table({}, &events);
    EXPECT_EQ(weights(t[0]), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=0", "127.0.0.1:80=1"}));
    EXPECT_EQ(texts(events), Strings{"www: quorum lost (live weight 0, quorum 1): sorry server "
                                     "127.0.0.1:80 takes the traffic"});
}

TEST(DesiredState, AnOperatorWeightAppliesToAServerKeptAsTheKernelHasIt) {
    auto state = state_of(valid_config(kWeb));
    auto www = pool_of(valid_config(kWeb).virtual_servers[0]);
    TableByKey kernel;
    auto kept = www.members[0].destination;
    kept.weight = 5;
    kernel[www.services.front().key] = {www.services.front(), {kept}};
    state.set_operator_weight("www", "10.0.1.1:80", 0);  // a restart: drained before it
    EXPECT_EQ(weights(state.table(kernel)[0]), (Strings{"10.0.1.1:80=0", "127.0.0.1:80=1"}));
}

TEST(DesiredState, FileVerdictsTakeServersDownOrMoveTheirWeightUnderAnOperatorWeight) {
    auto cfg = valid_config(kWeb);
    auto state = state_of(cfg);
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    state.set_health(member(state, "www", "10.0.1.2:80"), true);
    auto www = [&] { return weights(state.table()[0]); };
    EXPECT_TRUE(state.set_file_verdict(member(state, "www", "10.0.1.1:80"), false, 3));
    EXPECT_FALSE(state.set_file_verdict(member(state, "www", "10.0.1.1:80"), false, 3));
    EXPECT_FALSE(
        state.set_file_verdict(member(state, "www", "10.9.9.9:80"), true, 0));  // unknown member
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=5", "10.0.1.2:80=1"}));
    state.set_file_verdict(member(state, "www", "10.0.1.1:80"), false, -10);  // never below 0
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=1"}));
    state.set_file_verdict(member(state, "www", "10.0.1.2:80"), false,
                           4'000'000'000);  // at most 2^31 - 1
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=2147483647"}));
    // Down by its file although its check says up; an operator's weight does not bring it back.
    state.set_file_verdict(member(state, "www", "10.0.1.2:80"), true, 0);
    state.set_operator_weight("www", "10.0.1.2:80", 9);
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "127.0.0.1:80=1"}));  // no live weight: sorry
    EXPECT_EQ(state.health(0, 1), "down");
    state.set_file_verdict(member(state, "www", "10.0.1.2:80"), false, 0);
    EXPECT_EQ(www(), (Strings{"10.0.1.1:80=0", "10.0.1.2:80=9"}));
    EXPECT_EQ(state.health(0, 1), "up");
    // A reload forgets the verdicts: the file checks tell them again.
    (void)state.configure(Pools(cfg));
    state.set_health(member(state, "www", "10.0.1.1:80"), true);
    EXPECT_EQ(www(), Strings{"10.0.1.1:80=2"});
}
