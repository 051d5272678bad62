// Probes against real servers on loopback (IPv4 and IPv6): an in-process HTTP server, an
// openssl s_server for TLS, real sockets and real programs.
#include "servers.hpp"

using namespace directord;
using namespace directord::healthcheck;
using namespace directord::test;

namespace {

// A listener whose accept queue is full: it drops further SYNs, like a firewall, so a
// connection to it hangs.
class FullListener {
  public:
    explicit FullListener(asio::io_context& io)
        : acceptor_(io, tcp::endpoint(kLoopback, 0)), filler_(io) {
        acceptor_.listen(0);
        filler_.async_connect(acceptor_.local_endpoint(), [](const boost::system::error_code&) {});
        io.restart();
        io.run_for(100ms);
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

  private:
    tcp::acceptor acceptor_;
    tcp::socket filler_;
};

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

    FullListener full(io);
    auto filtered = run_probe(io, tcp_check(200ms), full.endpoint());
    EXPECT_FALSE(filtered.ok);
    EXPECT_EQ(filtered.reason, "timed out after 200ms");
    EXPECT_GE(filtered.latency, 200ms);
}

TEST(TcpProbe, AbandonedAttemptNeverReports) {
    asio::io_context io;
    FullListener full(io);
    auto check = tcp_check(100ms);
    auto target = full.endpoint();
    auto probe = make_probe(io, check, target);
    bool reported = false;
    probe->run(check.timeout, [&](const ProbeResult&) { reported = true; });
    probe.reset();
    io.restart();
    io.run_for(300ms);
    EXPECT_FALSE(reported);
}

// Deadlines of attempts that ended early are dropped in bulk, so the connector's heap follows
// what is in flight; an attempt still in flight keeps its own and reports at its time.
TEST(TcpProbe, AHangingAttemptTimesOutAmongHundredsThatEndEarly) {
    asio::io_context io;
    FullListener full(io);
    tcp::acceptor listening(io, tcp::endpoint(kLoopback, 0));
    listening.listen();
    const tcp::endpoint targets[] = {full.endpoint(), listening.local_endpoint()};
    auto check = tcp_check(1s);
    auto hanging = make_probe(io, check, targets[0]);
    auto probe = make_probe(io, check, targets[1]);
    std::optional<ProbeResult> hung;
    hanging->run(check.timeout, [&](const ProbeResult& r) { hung = r; });
    auto turn = [&io] {
        io.restart();  // a turn with nothing to do leaves the context stopped
        io.run_one_for(100ms);
    };
    int connected = 0;
    for (int i = 0; i < 1000 && !hung; ++i) {
        bool done = false;
        probe->run(check.timeout, [&](const ProbeResult& r) {
            connected += r.ok;
            done = true;
        });
        for (int t = 0; t < 100 && !done; ++t) turn();
    }
    for (int t = 0; t < 50 && !hung; ++t) turn();
    ASSERT_TRUE(hung) << "the hanging attempt never reported (" << connected << " connected)";
    EXPECT_EQ(hung->reason, "timed out after 1s");
    EXPECT_GE(hung->latency, 1s);
    EXPECT_GE(connected, 200);  // enough to drop the early ends' deadlines several times over
}

TEST(ScriptProbe, ExitCodesEnvironmentAndTimeout) {
    asio::io_context io;
    config::Check c;
    c.timeout = 2s;
    tcp::endpoint target(kLoopback, 3306);
    const config::RunAs self{geteuid(), getegid()};
    c.kind = config::ScriptCheck{
        {"/bin/sh", "-c", "[ \"$DIRECTORD_RS_ADDRESS:$DIRECTORD_RS_PORT\" = 127.0.0.1:3306 ]"},
        self};
    EXPECT_TRUE(run_probe(io, c, target).ok);
    c.kind = config::ScriptCheck{{"/bin/sh", "-c", "echo replica lagging; exit 2"}, self};
    auto bad = run_probe(io, c, target);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.reason, "exit 2: replica lagging");
    c.kind = config::ScriptCheck{{"/bin/sleep", "10"}, self};
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

// Answers as servers send them (chunked, ended by the close, longer than what is kept) and as
// they should not (cut short, not HTTP, nothing): each judged, the bad ones with what was wrong.
TEST(HttpProbe, ChunkedCloseDelimitedLongAndBrokenAnswers) {
    asio::io_context io;
    HttpServer server(io);
    config::HttpCheck h;
    auto answer = [&](std::string raw, std::string regex) {
        server.raw_response = std::move(raw);
        h.body_regex = std::move(regex);
        return run_probe(io, http_check(h), server.endpoint());
    };
    auto chunked = answer(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nrea\r\n2\r\ndy\r\n0\r\n\r\n",
        "^ready$");
    EXPECT_TRUE(chunked.ok) << chunked.reason;
    auto to_the_close = answer("HTTP/1.0 200 OK\r\n\r\nready when closed", "when closed$");
    EXPECT_TRUE(to_the_close.ok) << to_the_close.reason;
    std::string long_body = "OK" + std::string(200 * 1024, 'a') + "tail";
    auto long_answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(long_body.size()) +
                       "\r\n\r\n" + long_body;
    EXPECT_TRUE(answer(long_answer, "^OKa").ok);
    auto past_what_is_kept = answer(long_answer, "tail");
    EXPECT_EQ(past_what_is_kept.reason, "HTTP status 200, body does not match /tail/");

    auto cut_short = answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "");
    EXPECT_FALSE(cut_short.ok);
    EXPECT_EQ(cut_short.reason, "reading the response: partial message");
    auto not_http = answer("SSH-2.0-OpenSSH_9.2\r\n\r\n", "");
    EXPECT_FALSE(not_http.ok);
    EXPECT_EQ(not_http.reason, "reading the response: bad version");
    auto nothing = answer("", "");
    EXPECT_FALSE(nothing.ok);
    EXPECT_EQ(nothing.reason, "reading the response: end of stream");
}

TEST(HttpProbe, SlowAndRefused) {
    asio::io_context io;
    HttpServer server(io);
    server.delay = 2s;
    auto start = std::chrono::steady_clock::now();
    auto slow = run_probe(io, http_check({}, 300ms), server.endpoint());
    EXPECT_FALSE(slow.ok);
    EXPECT_EQ(slow.reason, "timed out after 300ms waiting for the response");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);

    auto refused = run_probe(io, http_check({}), closed_port());
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.reason, "Connection refused");
}

// A server that never reads: the request fills both sides' buffers and the timeout says the
// attempt was still sending it (not "waiting for" anything).
TEST(HttpProbe, ARequestThatCannotBeSentTimesOutSendingIt) {
    asio::io_context io;
    tcp::acceptor never_accepting(io, tcp::endpoint(kLoopback, 0));
    never_accepting.listen();
    config::HttpCheck huge;
    huge.path = "/" + std::string(64 << 20, 'a');  // beyond any loopback socket's buffers
    auto stuck = run_probe(io, http_check(huge, 300ms), never_accepting.local_endpoint());
    EXPECT_FALSE(stuck.ok);
    EXPECT_EQ(stuck.reason, "timed out after 300ms sending the request");
}

// Real servers on IPv6: the URL carries the address in brackets, the Host header too.
TEST(Ipv6RealServers, TcpAndHttpOverTheIpv6Loopback) {
    if (auto why = ipv6_loopback_missing()) GTEST_SKIP() << *why;
    asio::io_context io;
    tcp::acceptor listening(io, tcp::endpoint(kLoopback6, 0));
    listening.listen();
    auto up = run_probe(io, tcp_check(), listening.local_endpoint());
    EXPECT_TRUE(up.ok) << up.reason;
    auto refused = run_probe(io, tcp_check(), closed_port(kLoopback6));
    EXPECT_EQ(refused.reason, "Connection refused");

    HttpServer server(io, kLoopback6);
    config::HttpCheck h;
    h.path = "/health";
    auto bare = run_probe(io, http_check(h), server.endpoint());
    EXPECT_TRUE(bare.ok) << bare.reason;
    EXPECT_NE(server.last_request.find("Host: [::1]:" + std::to_string(server.endpoint().port())),
              std::string::npos)
        << server.last_request;
    h.host = "www.example.test";  // a virtual host pinned to the IPv6 address, no DNS lookup
    auto named = run_probe(io, http_check(h), server.endpoint());
    EXPECT_TRUE(named.ok) << named.reason;
    EXPECT_NE(server.last_request.find("Host: www.example.test"), std::string::npos);
    server.status = 503;
    EXPECT_EQ(run_probe(io, http_check(h), server.endpoint()).reason, "HTTP status 503");
}

namespace {
// HTTPS that does not verify the certificate: the first step of the TLS tests.
config::HttpCheck unverified_tls() {
    config::HttpCheck h;
    h.tls = true;
    h.verify = false;
    return h;
}
}  // namespace

TEST(HttpProbe, TlsVerifyAndSni) {
    TlsServer server;
    asio::io_context io;
    auto h = unverified_tls();
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

    // An address is verified as one (the certificate names 127.0.0.1), not as a host name.
    h.sni.clear();
    auto by_address = run_probe(io, http_check(h, 3s), server.endpoint());
    EXPECT_TRUE(by_address.ok) << by_address.reason;
    h.sni = "127.0.0.2";
    EXPECT_EQ(run_probe(io, http_check(h, 3s), server.endpoint()).reason,
              "TLS handshake: certificate of 127.0.0.2: IP address mismatch");
}

// openssl s_server -www answers with its session's state: "New, TLSv1.3, ..." or "Reused, ...".
TEST(HttpProbe, UnverifiedTlsResumesItsSessionAVerifyingCheckDoesNot) {
    TlsServer server;
    asio::io_context io;
    auto h = unverified_tls();
    h.body_regex = "Reused, TLS";
    auto unverified = http_check(h, 3s);
    auto probe = make_probe(io, unverified, server.endpoint());
    EXPECT_FALSE(run_probe(io, *probe, unverified.timeout).ok) << "the first has no session";
    auto resumed = run_probe(io, *probe, unverified.timeout);
    EXPECT_TRUE(resumed.ok) << resumed.reason;

    h.verify = true;
    h.ca_file = server.cert();
    h.sni = "directord.test";
    h.body_regex = "New, TLS";
    auto verifying = http_check(h, 3s);
    probe = make_probe(io, verifying, server.endpoint());
    for (int i = 0; i < 2; ++i) {
        auto full = run_probe(io, *probe, verifying.timeout);
        EXPECT_TRUE(full.ok) << "probe " << i << ": " << full.reason;
    }
}

TEST(Ipv6RealServers, TlsWithTheNamePinnedToAnIpv6Address) {
    if (auto why = ipv6_loopback_missing()) GTEST_SKIP() << *why;
    TlsServer server(kLoopback6);
    asio::io_context io;
    config::HttpCheck h;
    h.tls = true;
    h.ca_file = server.cert();
    h.sni = "directord.test";
    auto trusted = run_probe(io, http_check(h, 3s), server.endpoint());
    EXPECT_TRUE(trusted.ok) << trusted.reason;
    h.sni = "other.test";
    EXPECT_FALSE(run_probe(io, http_check(h, 3s), server.endpoint()).ok);
}
