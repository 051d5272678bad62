// HTTP(S) checks that reuse connections (reuse_connection): one connection for many probes
// where the server keeps it, a new one where the server closed it before or as a request went
// out, after a failed probe, and never more than one extra try per attempt.
#include "servers.hpp"

using namespace directord;
using namespace directord::test;

namespace {

config::Check reusing(config::HttpCheck h = {}) {
    h.reuse_connection = true;
    return http_check(std::move(h), 2s);
}

// Runs `probe` `n` times, each expected to succeed; between them the loop runs `pause` (the
// server's close, if any, arrives).
void expect_ok(asio::io_context& io, healthcheck::Probe& probe, int n,
               std::chrono::milliseconds pause = 0ms) {
    for (int i = 0; i < n; ++i) {
        auto result = run_probe(io, probe, 2s);
        EXPECT_TRUE(result.ok) << "probe " << i << ": " << result.reason;
        io.restart();
        io.run_for(pause);
    }
}

}  // namespace

TEST(ReusedConnections, OneConnectionForAllProbesWhereTheServerKeepsIt) {
    asio::io_context io;
    HttpServer server(io);
    server.keep_alive = true;
    auto check = reusing();  // outlives its probe, as the configuration does
    auto probe = make_probe(io, check, server.endpoint());
    expect_ok(io, *probe, 5, 20ms);
    EXPECT_EQ(server.connections, 1);
    EXPECT_EQ(server.requests, 5);
    EXPECT_EQ(server.last_request.find("Connection: close"), std::string::npos);

    // Without reuse_connection: "Connection: close" and a connection each probe.
    HttpServer plain(io);
    plain.keep_alive = true;
    auto closing_check = http_check({});
    auto closing = make_probe(io, closing_check, plain.endpoint());
    expect_ok(io, *closing, 3);
    EXPECT_EQ(plain.connections, 3);
    EXPECT_NE(plain.last_request.find("Connection: close"), std::string::npos);
}

TEST(ReusedConnections, AServerThatClosedItSinceGetsANewOne) {
    asio::io_context io;
    HttpServer server(io);
    server.keep_alive = true;
    server.close_after_answer = true;  // its idle timeout passes before the next probe
    auto check = reusing();
    auto probe = make_probe(io, check, server.endpoint());
    expect_ok(io, *probe, 3, 50ms);
    EXPECT_EQ(server.connections, 3);
    EXPECT_EQ(server.requests, 3) << "a closed connection was seen as closed before a request";
}

TEST(ReusedConnections, AServerThatClosesItAsTheRequestGoesOutIsAskedAgainOnce) {
    asio::io_context io;
    HttpServer server(io);
    server.keep_alive = true;
    server.drop_repeat_requests = true;
    auto check = reusing();
    auto probe = make_probe(io, check, server.endpoint());
    expect_ok(io, *probe, 4, 20ms);
    EXPECT_EQ(server.connections, 4);
    EXPECT_EQ(server.requests, 7) << "each probe after the first: dropped, then asked again";

    // When the new connection fails too, that is the attempt's failure: no third try.
    server.raw_response = "";  // closed, nothing answered
    EXPECT_EQ(run_probe(io, *probe, 2s).reason, "reading the response: end of stream");
    EXPECT_EQ(server.connections, 5);
    EXPECT_EQ(server.requests, 9);
}

TEST(ReusedConnections, AFailedProbeLeavesNothingToReuse) {
    asio::io_context io;
    HttpServer server(io);
    server.keep_alive = true;
    auto check = reusing();
    auto probe = make_probe(io, check, server.endpoint());
    expect_ok(io, *probe, 1);
    server.status = 503;
    EXPECT_EQ(run_probe(io, *probe, 2s).reason, "HTTP status 503");
    server.status = 200;
    server.delay = 1s;
    EXPECT_EQ(run_probe(io, *probe, 300ms).reason,
              "timed out after 300ms waiting for the response");
    server.delay = 0ms;
    expect_ok(io, *probe, 2);
    EXPECT_EQ(server.connections, 3) << "the 503 and the timeout each ended their connection";
}

TEST(ReusedConnections, TlsConnectionsAreVerifiedOnceAndKept) {
    asio::io_context io;
    TestCertificate certificate;
    HttpServer server(io);
    server.use_tls(certificate.cert(), certificate.key());
    server.keep_alive = true;
    config::HttpCheck h;
    h.tls = true;
    h.ca_file = certificate.cert();
    h.sni = "directord.test";
    auto check = reusing(h);
    auto probe = make_probe(io, check, server.endpoint());
    expect_ok(io, *probe, 5, 20ms);
    EXPECT_EQ(server.connections, 1);

    server.close_after_answer = true;  // from the next answer on: a new connection each probe
    expect_ok(io, *probe, 3, 50ms);
    EXPECT_EQ(server.connections, 3);
}
