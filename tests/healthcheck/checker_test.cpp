// The checker and its scheduler against real sockets on loopback, and the Galera judge.
#include "directord/healthcheck/checker.hpp"

#include "servers.hpp"

using namespace directord;
using namespace directord::healthcheck;
using namespace directord::test;

namespace {
struct CountingOwner : Monitor::Owner {
    using Owner::Owner;
    int changes = 0;
    void on_change(const Monitor&) override { ++changes; }
};
}  // namespace

// A thousand checks due at the same instant start in slices, and a timer due at that
// instant too (a VRRP advert) runs after the first slice, not after all of them.
TEST(Scheduler, DueChecksYieldToOtherTimersBetweenBatches) {
    asio::io_context io;
    auto& scheduler = Scheduler::of(io);
    CountingOwner owner(scheduler);
    auto check = std::make_shared<const config::Check>(tcp_check(1s));
    auto target = closed_port();
    std::vector<std::unique_ptr<Monitor>> monitors;
    auto due = Monitor::Clock::now() + 20ms;
    for (int i = 0; i < 1000; ++i) {
        monitors.push_back(std::make_unique<Monitor>(owner, check, target));
        monitors.back()->start(due);
    }
    asio::steady_timer advert(io);
    advert.expires_at(due);
    std::uint64_t started_before_advert = 0;
    advert.async_wait(
        [&](const boost::system::error_code&) { started_before_advert = scheduler.started(); });
    io.run_for(500ms);
    EXPECT_LT(started_before_advert, 200u);  // not the whole thousand
    EXPECT_GE(scheduler.started(), 1000u);   // every check ran
    EXPECT_EQ(owner.changes, 1000);          // each first result is told, even one confirming down
    EXPECT_EQ(monitors.front()->last_reason(), "Connection refused");
    EXPECT_EQ(scheduler.pending(), 1000u);  // each waits for its next interval
}

// Each turn of check work is timed: how long one held the loop is what delays an advert.
TEST(Scheduler, TimesEachTurnOfCheckWork) {
    asio::io_context io;
    auto& scheduler = Scheduler::of(io);
    scheduler.defer([] {
        for (auto until = std::chrono::steady_clock::now() + 3ms;
             std::chrono::steady_clock::now() < until;) {
        }
    });
    scheduler.defer([] {});
    io.run_for(100ms);
    EXPECT_EQ(scheduler.turns().count, 2u);
    EXPECT_GE(scheduler.turns().max_seconds, 0.003);
    EXPECT_LT(scheduler.turns().max_seconds, 1.0);
}

namespace {

config::Config two_virtual_servers(tcp::endpoint rs, unsigned fall) {
    config::Check check = tcp_check(200ms);
    check.interval = 200ms;
    check.fall = fall;
    config::Config cfg;
    for (std::string name : {"web", "web-alt"}) {
        config::VirtualServer vs;
        vs.name = name;
        vs.frontends = {
            {asio::ip::make_address("10.0.0.1"), std::uint16_t(name == "web" ? 80 : 8080), 0}};
        vs.check = check;
        config::RealServer real;
        real.address = rs.address();
        real.port = rs.port();
        vs.real_servers.push_back(real);
        cfg.virtual_servers.push_back(vs);
    }
    return cfg;
}

}  // namespace

TEST(HealthChecker, DedupFirstCheckGatingAndHysteresis) {
    asio::io_context io;
    HttpServer server(io);  // any listener will do for TCP checks; it counts connections
    HealthChecker checker(io);
    std::vector<HealthEvent> events;
    checker.subscribe([&](const HealthEvent& e) { events.push_back(e); });
    checker.apply(two_virtual_servers(server.endpoint(), 2));
    EXPECT_EQ(checker.monitor_count(), 1u);  // one probe for both virtual servers
    RealServerId web{0, 0};                  // "web"'s only real server
    EXPECT_FALSE(checker.is_up(web));        // down until the first successful check
    // Both virtual servers' real server read the one monitor; no other real server has one.
    ASSERT_NE(checker.monitor_of(web), nullptr);
    EXPECT_EQ(checker.monitor_of(web), checker.monitor_of({1, 0}));
    EXPECT_EQ(checker.monitor_of({0, 1}), nullptr);
    EXPECT_EQ(checker.monitor_of({2, 0}), nullptr);

    io.run_for(1100ms);
    EXPECT_TRUE(checker.is_up(web));
    ASSERT_EQ(events.size(), 2u);  // one UP per virtual server
    EXPECT_TRUE(events[0].up && events[1].up);
    // ~5 probes in 1.1 s at 200 ms for both virtual servers together, not ~10.
    EXPECT_GE(server.connections, 4);
    EXPECT_LE(server.connections, 7);

    // Reload with the same checks keeps the monitor and its state.
    checker.apply(two_virtual_servers(server.endpoint(), 2));
    EXPECT_TRUE(checker.is_up(web));
    EXPECT_EQ(events.size(), 2u);
}

// Checks that differ in a credential, a query, donor_ok or any UDP / DNS setting are different
// checks: each needs its own probe and its own result (the key once stopped at the first NUL,
// merging them).
TEST(HealthChecker, DatabaseChecksThatDifferInAnyFieldAreNotMerged) {
    asio::io_context io;
    auto differing = [](auto base, auto change) {
        config::Config cfg = two_virtual_servers(closed_port(), 1);
        config::Check check = cfg.virtual_servers[0].check.value();
        check.kind = base;
        cfg.virtual_servers[0].check = check;
        check.kind = change(base);
        cfg.virtual_servers[1].check = check;
        return cfg;
    };
    config::MysqlCheck mysql{"monitor", "secret", "SELECT 1"};
    config::GaleraCheck galera{"monitor", "secret", false};
    std::vector<config::Config> configs = {
        differing(mysql, [](auto c) { return c.password = "other", c; }),
        differing(mysql, [](auto c) { return c.query = "SELECT 2", c; }),
        differing(galera, [](auto c) { return c.password = "other", c; }),
        differing(galera, [](auto c) { return c.donor_ok = true, c; }),
        differing(mysql,
                  [](auto c) { return c.user = "", c.password = "monitor" + c.password, c; }),
        differing(config::UdpCheck{"ping", true, "", ""},
                  [](auto c) { return c.reply_prefix = "p", c; }),
        differing(config::UdpCheck{"ab", false, "", ""},
                  [](auto c) { return c.payload = "a", c.reply_prefix = "b", c; }),
        differing(config::DnsCheck{},
                  [](auto c) { return c.transport = config::DnsTransport::tcp, c; }),
        differing(config::DnsCheck{}, [](auto c) { return c.rcodes.push_back(3), c; }),
        differing(config::DnsCheck{}, [](auto c) { return c.require_answer = true, c; }),
    };
    for (const auto& cfg : configs) {
        HealthChecker checker(io);
        checker.apply(cfg);
        EXPECT_EQ(checker.monitor_count(), 2u);
    }
    HealthChecker same(io);
    same.apply(differing(mysql, [](auto c) { return c; }));
    EXPECT_EQ(same.monitor_count(), 1u);
}

// Out of descriptors (a flood of clients elsewhere in the daemon, say), a TCP check cannot
// make its socket: an internal error, never a DOWN that would pull the server from IPVS.
TEST(HealthChecker, NoDescriptorIsAnInternalErrorNotADown) {
    asio::io_context io;
    HttpServer server(io);
    HealthChecker checker(io);
    std::vector<HealthEvent> events;
    checker.subscribe([&](const HealthEvent& e) { events.push_back(e); });
    checker.apply(two_virtual_servers(server.endpoint(), 1));
    io.run_for(500ms);
    ASSERT_EQ(events.size(), 2u);
    ASSERT_TRUE(events[0].up);

    rlimit saved{};
    getrlimit(RLIMIT_NOFILE, &saved);
    rlimit low = saved;
    low.rlim_cur = 256;
    setrlimit(RLIMIT_NOFILE, &low);
    std::vector<int> hogs;
    auto hog = [&] {
        for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) hogs.push_back(fd);
    };
    hog();
    ASSERT_EQ(errno, EMFILE);
    // A descriptor freed meanwhile (the test server closing the last check's connection) is
    // taken again at once, so every check of the window really finds none.
    asio::steady_timer rehog(io);
    std::function<void()> keep_hogging = [&] {
        hog();
        rehog.expires_after(2ms);
        rehog.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) keep_hogging();
        });
    };
    keep_hogging();
    io.run_for(1s);  // ~5 checks at 200 ms, fall 1
    rehog.cancel();
    for (int fd : hogs) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved);
    EXPECT_EQ(events.size(), 2u) << "a check without a descriptor was told as a state change";
    RealServerId web{0, 0};  // "web"'s only real server
    EXPECT_TRUE(checker.is_up(web));
    bool counted = false;
    for (const auto& [kind, reasons] : checker.stats().failures())
        for (const auto& [reason, n] : reasons)
            counted = counted || reason == "internal error: Too many open files";
    EXPECT_TRUE(counted);
}

TEST(HealthChecker, FallNeedsConsecutiveFailures) {
    asio::io_context io;
    auto target = closed_port();
    auto listener = std::make_unique<tcp::acceptor>(io, target);
    listener->listen();
    HealthChecker checker(io);
    std::vector<std::pair<std::chrono::steady_clock::time_point, bool>> changes;
    checker.subscribe([&](const HealthEvent& e) {
        if (e.who.virtual_server == 0)  // "web"
            changes.emplace_back(std::chrono::steady_clock::now(), e.up);
    });
    checker.apply(two_virtual_servers(target, 3));
    io.run_for(600ms);
    ASSERT_EQ(changes.size(), 1u);
    auto closed_at = std::chrono::steady_clock::now();
    listener.reset();  // the service dies
    io.run_for(1200ms);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_FALSE(changes[1].second);
    // fall 3 at 200 ms: the third failed probe after the close, 400-600 ms later.
    EXPECT_GE(changes[1].first - closed_at, 350ms);
}

TEST(Galera, JudgesWsrepStatus) {
    std::map<std::string, std::string> synced{{"wsrep_local_state", "4"},
                                              {"wsrep_local_state_comment", "Synced"},
                                              {"wsrep_cluster_status", "Primary"},
                                              {"wsrep_ready", "ON"},
                                              {"wsrep_connected", "ON"}};
    EXPECT_EQ(judge_wsrep(synced, false), "");
    auto donor = synced;
    donor["wsrep_local_state"] = "2";
    donor["wsrep_local_state_comment"] = "Donor/Desynced";
    EXPECT_EQ(judge_wsrep(donor, false), "wsrep_local_state=2 (Donor/Desynced)");
    EXPECT_EQ(judge_wsrep(donor, true), "");
    auto split = synced;
    split["wsrep_cluster_status"] = "non-Primary";
    split["wsrep_ready"] = "OFF";
    EXPECT_EQ(judge_wsrep(split, false), "wsrep_cluster_status=non-Primary");
    auto joiner = synced;
    joiner["wsrep_local_state"] = "1";
    joiner["wsrep_local_state_comment"] = "Joining: receiving State Transfer";
    joiner["wsrep_ready"] = "OFF";
    EXPECT_EQ(judge_wsrep(joiner, true), "wsrep_ready=OFF");
    EXPECT_EQ(judge_wsrep({{"wsrep_ready", "OFF"}}, false),
              "not a Galera node (no wsrep_local_state)");
}
