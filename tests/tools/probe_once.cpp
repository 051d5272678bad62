// Runs one health check once and prints "UP: reason" or "DOWN: reason" (test tool).
//   probe_once '{ galera: { user: probe, password_file: F }, timeout: 2s }' 127.0.0.1:13306
//   probe_once '{ mysql: { user: probe, password_file: F } }' '[::1]:13306'
// The check is read by the real configuration loader, so it is validated like a daemon's.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "directord/config/loader.hpp"
#include "directord/healthcheck/probe.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        fmt::print(stderr, "usage: probe_once CHECK_YAML ADDRESS:PORT\n");
        return 2;
    }
    // A virtual server of the real server's family (documentation addresses: never used).
    bool ipv6 = argv[2][0] == '[';
    auto text = fmt::format(
        "virtual_servers:\n  - address: '{}'\n    check: {}\n    real_servers: [{{ address: "
        "'{}' }}]\n",
        ipv6 ? "[2001:db8::1]:1" : "192.0.2.1:1", argv[1], argv[2]);
    auto loaded = directord::config::load_text(text, "probe_once");
    if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&loaded)) {
        for (const auto& e : *errors) fmt::print(stderr, "{}\n", e.to_string());
        return 2;
    }
    const auto& vs = std::get<directord::config::Config>(loaded).virtual_servers.at(0);
    const auto& rs = vs.real_servers.at(0);
    boost::asio::io_context io;
    // Probes may keep a reference to their target (a monitor's member in the daemon).
    const boost::asio::ip::tcp::endpoint target{rs.address, vs.check->port.value_or(rs.port)};
    auto probe = directord::healthcheck::make_probe(io, *vs.check, target);
    std::optional<directord::healthcheck::ProbeResult> result;
    probe->run(vs.check->timeout,
               [&](const directord::healthcheck::ProbeResult& r) { result = r; });
    io.run();
    if (!result) return 1;
    fmt::print("{}: {} ({} us)\n", result->ok ? "UP" : "DOWN", result->reason,
               result->latency.count());
    return 0;
}
