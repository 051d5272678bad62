#include "directord/healthcheck/checker.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "directord/duration.hpp"
#include "directord/healthcheck/monitor.hpp"
#include "directord/log.hpp"

namespace directord::healthcheck {
namespace {

// Two checks share a monitor exactly when this text is equal: every setting plus the target.
std::string dedup_key(const config::Check& c, const boost::asio::ip::tcp::endpoint& target) {
    std::string key = fmt::format(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|", target.address().to_string(), target.port(), c.kind.index(),
        c.interval.count(), c.timeout.count(), c.retries, c.retry_delay.count(), c.rise, c.fall);
    key += c.initially_up ? "up|" : "down|";
    if (auto* tcp = std::get_if<config::TcpCheck>(&c.kind)) {
        key += tcp->bind ? tcp->bind->to_string() : "-";
    } else if (auto* http = std::get_if<config::HttpCheck>(&c.kind)) {
        key += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|", http->method, http->path, http->host,
                           http->body_regex, http->tls, http->verify, http->sni, http->ca_file);
        for (const auto& s : http->status) key += fmt::format("{}-{},", s.low, s.high);
    } else if (auto* script = std::get_if<config::ScriptCheck>(&c.kind)) {
        for (const auto& arg : script->argv) key += arg + '\0';
    } else if (auto* mysql = std::get_if<config::MysqlCheck>(&c.kind)) {
        key += fmt::format("{}\0{}\0{}", mysql->user, mysql->password, mysql->query);
    } else {
        const auto& galera = std::get<config::GaleraCheck>(c.kind);
        key += fmt::format("{}\0{}\0{}", galera.user, galera.password, galera.donor_ok);
    }
    return key;
}

}  // namespace

std::string endpoint_name(const config::IpAddress& address, std::uint16_t port) {
    return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                           : fmt::format("{}:{}", address.to_string(), port);
}

HealthChecker::HealthChecker(boost::asio::io_context& io) : io_(io) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::apply(const config::Config& cfg) {
    struct Wanted {
        const config::Check* check;
        boost::asio::ip::tcp::endpoint target;
        std::vector<RealServerRef> users;
    };
    std::unordered_map<std::string, Wanted> wanted;
    for (const auto& vs : cfg.virtual_servers) {
        for (const auto& rs : vs.real_servers) {
            const config::Check* check = rs.check ? &*rs.check : vs.check ? &*vs.check : nullptr;
            if (!check) continue;
            boost::asio::ip::tcp::endpoint target(rs.address, check->port.value_or(rs.port));
            auto [it, fresh] =
                wanted.try_emplace(dedup_key(*check, target), Wanted{check, target, {}});
            it->second.users.push_back(RealServerRef{vs.name, endpoint_name(rs.address, rs.port)});
        }
    }
    std::size_t kept = 0, started = 0, stopped = 0;
    for (auto it = monitors_.begin(); it != monitors_.end();) {
        if (wanted.contains(it->first)) {
            ++it;
        } else {
            it = monitors_.erase(it);
            ++stopped;
        }
    }
    for (auto& [key, w] : wanted) {
        auto& slot = monitors_[key];
        if (slot) {
            ++kept;
        } else {
            slot = std::make_unique<Monitor>(
                io_, endpoint_name(w.target.address(), w.target.port()), *w.check, w.target,
                [this](const Monitor& m) { on_change(m); });
            slot->start(&random_);
            ++started;
        }
        slot->users = std::move(w.users);
    }
    log::info("health checks: {} monitors ({} started, {} kept, {} stopped)", monitors_.size(),
              started, kept, stopped);
}

void HealthChecker::on_change(const Monitor& m) {
    const auto& r = m.last_result();
    std::string servers;
    for (const auto& u : m.users)
        if (servers.find(u.virtual_server) == std::string::npos)
            servers += (servers.empty() ? "" : ", ") + u.virtual_server;
    log::info("{} {}: {} ({} check, {}, virtual servers: {})", m.target_name(),
              m.up() ? "UP" : "DOWN", r.reason, m.kind(), format_duration(r.latency), servers);
    for (const auto& who : m.users)
        for (const auto& listener : listeners_)
            listener(HealthEvent{who, m.up(), r.reason, r.latency});
}

bool HealthChecker::is_up(const RealServerRef& who) const {
    for (const auto& [key, m] : monitors_)
        if (std::find(m->users.begin(), m->users.end(), who) != m->users.end()) return m->up();
    return false;
}

}  // namespace directord::healthcheck
