// Probes and the checker against real servers on loopback: an in-process HTTP server, an
// openssl s_server for TLS, real sockets and real programs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "directord/healthcheck/checker.hpp"
#include "directord/healthcheck/probes.hpp"

using namespace directord;
using namespace directord::healthcheck;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const auto kLoopback = asio::ip::make_address("127.0.0.1");

// A minimal HTTP/1.0 server: answers every request with `status` and `body` after `delay`.
class HttpServer {
  public:
    explicit HttpServer(asio::io_context& io)
        : io_(io), acceptor_(io, tcp::endpoint(kLoopback, 0)) {
        accept();
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    int status = 200;
    std::string body = "hello from the real server\n";
    std::chrono::milliseconds delay{0};
    int connections = 0;
    std::string last_request;

  private:
    struct Session {
        tcp::socket socket;
        asio::streambuf request;
        asio::steady_timer timer;
        std::string response;
        explicit Session(asio::io_context& io) : socket(io), timer(io) {}
    };
    void accept() {
        auto s = std::make_shared<Session>(io_);
        acceptor_.async_accept(s->socket, [this, s](const boost::system::error_code& ec) {
            if (ec) return;
            ++connections;
            asio::async_read_until(
                s->socket, s->request, "\r\n\r\n",
                [this, s](const boost::system::error_code& e, std::size_t) {
                    if (e) return;
                    last_request.assign(asio::buffers_begin(s->request.data()),
                                        asio::buffers_end(s->request.data()));
                    s->response = "HTTP/1.0 " + std::to_string(status) +
                                  " X\r\nContent-Length: " + std::to_string(body.size()) +
                                  "\r\n\r\n";
                    if (!last_request.starts_with("HEAD")) s->response += body;
                    s->timer.expires_after(delay);
                    s->timer.async_wait([s](const boost::system::error_code&) {
                        asio::async_write(s->socket, asio::buffer(s->response),
                                          [s](const boost::system::error_code&, std::size_t) {});
                    });
                });
            accept();
        });
    }
    asio::io_context& io_;
    tcp::acceptor acceptor_;
};

ProbeResult run_probe(asio::io_context& io, const config::Check& check, tcp::endpoint target) {
    auto probe = make_probe(io, check, target);
    std::optional<ProbeResult> result;
    probe->run(check.timeout, [&](const ProbeResult& r) { result = r; });
    for (int i = 0; i < 1000 && !result; ++i) {
        io.restart();  // a previous run may have left the context stopped (out of work)
        io.run_for(10ms);
    }
    EXPECT_TRUE(result.has_value());
    return result.value_or(ProbeResult{});
}

config::Check tcp_check(std::chrono::microseconds timeout = 500ms) {
    config::Check c;
    c.kind = config::TcpCheck{};
    c.timeout = timeout;
    return c;
}

config::Check http_check(config::HttpCheck h, std::chrono::microseconds timeout = 1s) {
    config::Check c;
    c.kind = std::move(h);
    c.timeout = timeout;
    return c;
}

tcp::endpoint closed_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(kLoopback, 0));
    return a.local_endpoint();  // closed again when `a` goes
}

}  // namespace

TEST(TcpProbe, ListeningClosedHangingAndFiltered) {
    asio::io_context io;
    tcp::acceptor listening(io, tcp::endpoint(kLoopback, 0));
    listening.listen();
    auto up = run_probe(io, tcp_check(), listening.local_endpoint());
    EXPECT_TRUE(up.ok) << up.reason;
    EXPECT_EQ(up.reason, "connected");

    auto refused = run_probe(io, tcp_check(), closed_port());
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.reason, "Connection refused");

    // Filtered: a listener whose accept queue is full drops further SYNs, like a firewall.
    tcp::acceptor full(io, tcp::endpoint(kLoopback, 0));
    full.listen(0);
    std::vector<std::unique_ptr<tcp::socket>> fillers;
    for (int i = 0; i < 4; ++i) {
        fillers.push_back(std::make_unique<tcp::socket>(io));
        fillers.back()->async_connect(full.local_endpoint(),
                                      [](const boost::system::error_code&) {});
    }
    io.restart();
    io.run_for(100ms);
    auto filtered = run_probe(io, tcp_check(200ms), full.local_endpoint());
    EXPECT_FALSE(filtered.ok);
    EXPECT_EQ(filtered.reason, "timed out after 200ms");
    EXPECT_GE(filtered.latency, 200ms);
}

TEST(TcpProbe, AbandonedAttemptNeverReports) {
    asio::io_context io;
    tcp::acceptor full(io, tcp::endpoint(kLoopback, 0));  // fills up: the probe hangs
    full.listen(0);
    tcp::socket filler(io);
    filler.async_connect(full.local_endpoint(), [](const boost::system::error_code&) {});
    io.run_for(50ms);
    auto check = tcp_check(100ms);
    auto target = full.local_endpoint();
    auto probe = make_probe(io, check, target);
    bool reported = false;
    probe->run(check.timeout, [&](const ProbeResult&) { reported = true; });
    probe.reset();
    io.restart();
    io.run_for(300ms);
    EXPECT_FALSE(reported);
}

namespace {
struct CountingObserver : Monitor::Observer {
    int changes = 0;
    void on_change(const Monitor&) override { ++changes; }
};
}  // namespace

// A thousand checks due at the same instant start in slices, and a timer due at that
// instant too (a VRRP advert) runs after the first slice, not after all of them.
TEST(Scheduler, DueChecksYieldToOtherTimersBetweenBatches) {
    asio::io_context io;
    auto& scheduler = Scheduler::of(io);
    CountingObserver observer;
    auto check = std::make_shared<const config::Check>(tcp_check(1s));
    auto target = closed_port();
    std::vector<std::unique_ptr<Monitor>> monitors;
    auto due = Monitor::Clock::now() + 20ms;
    for (int i = 0; i < 1000; ++i) {
        monitors.push_back(std::make_unique<Monitor>(scheduler, observer, check, target));
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
    EXPECT_EQ(observer.changes, 1000);       // each first result is told, even one confirming down
    EXPECT_EQ(monitors.front()->last_result().reason, "Connection refused");
    EXPECT_EQ(scheduler.pending(), 1000u);  // each waits for its next interval
}

TEST(ScriptProbe, ExitCodesEnvironmentAndTimeout) {
    asio::io_context io;
    config::Check c;
    c.timeout = 2s;
    tcp::endpoint target(kLoopback, 3306);
    c.kind = config::ScriptCheck{
        {"/bin/sh", "-c", "[ \"$DIRECTORD_RS_ADDRESS:$DIRECTORD_RS_PORT\" = 127.0.0.1:3306 ]"}};
    EXPECT_TRUE(run_probe(io, c, target).ok);
    c.kind = config::ScriptCheck{{"/bin/sh", "-c", "echo replica lagging; exit 2"}};
    auto bad = run_probe(io, c, target);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.reason, "exit 2: replica lagging");
    c.kind = config::ScriptCheck{{"/bin/sleep", "10"}};
    c.timeout = 200ms;
    auto hung = run_probe(io, c, target);
    EXPECT_FALSE(hung.ok);
    EXPECT_NE(hung.reason.find("timed out"), std::string::npos) << hung.reason;
}

TEST(HttpProbe, StatusBodyVirtualHostAndMethod) {
    asio::io_context io;
    HttpServer server(io);
    config::HttpCheck h;
    h.path = "/health";
    h.host = "www.example.test";
    auto ok = run_probe(io, http_check(h), server.endpoint());
    EXPECT_TRUE(ok.ok) << ok.reason;
    EXPECT_EQ(ok.reason, "HTTP status 200");
    EXPECT_NE(server.last_request.find("GET /health HTTP/1.1"), std::string::npos)
        << server.last_request;
    EXPECT_NE(server.last_request.find("Host: www.example.test"), std::string::npos)
        << server.last_request;

    server.status = 500;
    auto error = run_probe(io, http_check(h), server.endpoint());
    EXPECT_FALSE(error.ok);
    EXPECT_EQ(error.reason, "HTTP status 500");

    server.status = 204;
    h.status = {{200, 299}};
    EXPECT_TRUE(run_probe(io, http_check(h), server.endpoint()).ok);

    server.status = 200;
    h.body_regex = "ready";
    auto body = run_probe(io, http_check(h), server.endpoint());
    EXPECT_FALSE(body.ok);
    EXPECT_EQ(body.reason, "HTTP status 200, body does not match /ready/");
    h.body_regex = "real server";
    EXPECT_TRUE(run_probe(io, http_check(h), server.endpoint()).ok);

    h.method = "HEAD";
    h.body_regex.clear();
    auto head = run_probe(io, http_check(h), server.endpoint());
    EXPECT_TRUE(head.ok) << head.reason;
    EXPECT_NE(server.last_request.find("HEAD /health"), std::string::npos);
}

// A 64 KiB one-line body (the most a probe keeps) against patterns that made std::regex
// recurse per character (SIGSEGV on the loop) or backtrack: RE2 answers at once.
TEST(HttpProbe, LargeBodiesAreMatchedWithoutRecursionOrBacktracking) {
    asio::io_context io;
    HttpServer server(io);
    server.body = "OK" + std::string(64 * 1024 - 2, 'a');
    config::HttpCheck h;
    h.body_regex = "OK.*";
    auto dot_star = run_probe(io, http_check(h), server.endpoint());
    EXPECT_TRUE(dot_star.ok) << dot_star.reason;

    h.body_regex = "(a|aa)*c$";
    auto started = std::chrono::steady_clock::now();
    auto backtracking = run_probe(io, http_check(h), server.endpoint());
    EXPECT_FALSE(backtracking.ok);
    EXPECT_EQ(backtracking.reason, "HTTP status 200, body does not match /(a|aa)*c$/");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "the match held the loop";
}

TEST(HttpProbe, SlowAndRefused) {
    asio::io_context io;
    HttpServer server(io);
    server.delay = 2s;
    auto start = std::chrono::steady_clock::now();
    auto slow = run_probe(io, http_check({}, 300ms), server.endpoint());
    EXPECT_FALSE(slow.ok);
    EXPECT_EQ(slow.reason, "Timeout was reached");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);

    auto refused = run_probe(io, http_check({}), closed_port());
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.reason, "Couldn't connect to server");
}

// A real TLS server: openssl s_server with a certificate made for the test.
class TlsServer {
  public:
    TlsServer() {
        dir_ =
            std::filesystem::temp_directory_path() / ("directord-tls-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        cert_ = (dir_ / "cert.pem").string();
        std::string key = (dir_ / "key.pem").string();
        std::string make =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=directord.test "
            "-addext subjectAltName=DNS:directord.test -keyout " +
            key + " -out " + cert_ + " 2>/dev/null";
        EXPECT_EQ(std::system(make.c_str()), 0) << "openssl req failed";
        port_ = closed_port().port();
        std::string accept = "127.0.0.1:" + std::to_string(port_);
        std::vector<std::string> args{"/usr/bin/openssl",
                                      "s_server",
                                      "-quiet",
                                      "-www",
                                      "-accept",
                                      accept,
                                      "-cert",
                                      cert_,
                                      "-key",
                                      key};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        for (int i = 0; i < 100; ++i) {  // until it listens
            asio::io_context io;
            tcp::socket s(io);
            boost::system::error_code ec;
            s.connect(endpoint(), ec);
            if (!ec) break;
            std::this_thread::sleep_for(50ms);
        }
    }
    ~TlsServer() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        std::filesystem::remove_all(dir_);
    }
    tcp::endpoint endpoint() const { return {kLoopback, port_}; }
    const std::string& cert() const { return cert_; }

  private:
    std::filesystem::path dir_;
    std::string cert_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

TEST(HttpProbe, TlsVerifyAndSni) {
    TlsServer server;
    asio::io_context io;
    config::HttpCheck h;
    h.tls = true;
    h.verify = false;
    auto unverified = run_probe(io, http_check(h, 3s), server.endpoint());
    EXPECT_TRUE(unverified.ok) << unverified.reason;

    h.verify = true;  // self-signed, not trusted
    auto untrusted = run_probe(io, http_check(h, 3s), server.endpoint());
    EXPECT_FALSE(untrusted.ok);
    EXPECT_NE(untrusted.reason.find("certificate"), std::string::npos) << untrusted.reason;

    h.ca_file = server.cert();
    h.sni = "directord.test";  // the name in the certificate, pinned to the real server's address
    auto trusted = run_probe(io, http_check(h, 3s), server.endpoint());
    EXPECT_TRUE(trusted.ok) << trusted.reason;

    h.sni = "other.test";  // trusted CA, wrong name
    EXPECT_FALSE(run_probe(io, http_check(h, 3s), server.endpoint()).ok);
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
        vs.address = asio::ip::make_address("10.0.0.1");
        vs.port = name == "web" ? 80 : 8080;
        vs.check = check;
        vs.real_servers.push_back(config::RealServer{rs.address(), rs.port(), 1, {}, {}});
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
    RealServerRef web{"web", endpoint_name(kLoopback, server.endpoint().port())};
    EXPECT_FALSE(checker.is_up(web));  // down until the first successful check

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

// Checks that differ in a credential, a query or donor_ok are different checks: each needs its
// own probe and its own result (the key once stopped at the first NUL, merging them).
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
    RealServerRef web{"web", endpoint_name(kLoopback, server.endpoint().port())};
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
        if (e.who.virtual_server == "web")
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
