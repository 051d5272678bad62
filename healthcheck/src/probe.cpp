#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "directord/healthcheck/probes.hpp"

namespace directord::healthcheck {

ProbeResult failed_call(int error) {
    bool ours = error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
    return ProbeResult{
        false,
        ours ? fmt::format("internal error: {}", std::strerror(error)) : std::strerror(error),
        std::chrono::microseconds{0}, ours};
}

std::unique_ptr<Probe> make_probe(boost::asio::io_context& io, const config::Check& check,
                                  const boost::asio::ip::tcp::endpoint& target) {
    if (auto* tcp = std::get_if<config::TcpCheck>(&check.kind))
        return std::make_unique<TcpProbe>(io, target, tcp->bind);
    if (auto* script = std::get_if<config::ScriptCheck>(&check.kind))
        return std::make_unique<ScriptProbe>(io, target, script->argv, script->run_as);
    if (auto* mysql = std::get_if<config::MysqlCheck>(&check.kind))
        return make_mysql_probe(io, *mysql, target);
    if (auto* galera = std::get_if<config::GaleraCheck>(&check.kind))
        return make_galera_probe(io, *galera, target);
    if (auto* udp = std::get_if<config::UdpCheck>(&check.kind))
        return make_udp_probe(io, *udp, target);
    if (auto* dns = std::get_if<config::DnsCheck>(&check.kind))
        return make_dns_probe(io, *dns, target);
    if (std::holds_alternative<config::PingCheck>(check.kind)) return make_ping_probe(io, target);
    if (auto* smtp = std::get_if<config::SmtpCheck>(&check.kind))
        return make_smtp_probe(io, *smtp, target);
    return make_http_probe(io, std::get<config::HttpCheck>(check.kind), target);
}

}  // namespace directord::healthcheck
