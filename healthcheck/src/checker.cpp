#include "directord/healthcheck/checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "directord/duration.hpp"
#include "directord/log.hpp"

namespace directord::healthcheck {
namespace {

// Length-prefixed, so no field's content can run into the next one's.
void add(std::string& key, std::string_view field) {
    key += std::to_string(field.size());
    key += ':';
    key += field;
}

// Two checks are the same check exactly when this text is equal.
std::string check_key(const config::Check& c) {
    std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|", c.kind.index(), c.port.value_or(0),
                                  c.interval.count(), c.timeout.count(), c.retries,
                                  c.retry_delay.count(), c.rise, c.fall, c.initially_up);
    if (auto* tcp = std::get_if<config::TcpCheck>(&c.kind)) {
        add(key, tcp->bind ? tcp->bind->to_string() : "-");
    } else if (auto* http = std::get_if<config::HttpCheck>(&c.kind)) {
        for (const auto* field : {&http->method, &http->path, &http->host, &http->body_regex,
                                  &http->sni, &http->ca_file})
            add(key, *field);
        key += fmt::format("{}|{}|", http->tls, http->verify);
        for (const auto& s : http->status) key += fmt::format("{}-{},", s.low, s.high);
    } else if (auto* script = std::get_if<config::ScriptCheck>(&c.kind)) {
        for (const auto& arg : script->argv) add(key, arg);
    } else if (auto* mysql = std::get_if<config::MysqlCheck>(&c.kind)) {
        for (const auto* field : {&mysql->user, &mysql->password, &mysql->query}) add(key, *field);
    } else if (auto* galera = std::get_if<config::GaleraCheck>(&c.kind)) {
        for (const auto* field : {&galera->user, &galera->password}) add(key, *field);
        key += galera->donor_ok ? "donor_ok" : "-";
    } else if (auto* udp = std::get_if<config::UdpCheck>(&c.kind)) {
        for (const auto* field : {&udp->payload, &udp->reply_prefix, &udp->reply_regex})
            add(key, *field);
        key += udp->require_reply ? "reply" : "-";
    } else if (auto* dns = std::get_if<config::DnsCheck>(&c.kind)) {
        add(key, dns->name);
        key += fmt::format("{}|{}|{}|", dns->type, static_cast<int>(dns->transport),
                           dns->require_answer);
        for (auto rcode : dns->rcodes) key += fmt::format("{},", rcode);
    } else if (auto* smtp = std::get_if<config::SmtpCheck>(&c.kind)) {
        for (const auto* field : {&smtp->helo_name, &smtp->sni, &smtp->ca_file}) add(key, *field);
        key += fmt::format("{}|{}|", smtp->starttls, smtp->verify);
    }  // a ping has no settings of its own
    return key;
}

}  // namespace

std::string endpoint_name(const config::IpAddress& address, std::uint16_t port) {
    return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                           : fmt::format("{}:{}", address.to_string(), port);
}

HealthChecker::HealthChecker(boost::asio::io_context& io) : scheduler_(Scheduler::of(io)) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::apply(const config::Config& cfg) {
    // Built without a string per real server: with tens of thousands of them, the temporaries
    // would otherwise outweigh the monitors and leave the heap fragmented behind them.
    std::unordered_map<std::string, std::shared_ptr<const config::Check>> by_text;
    auto intern = [&](const config::Check& check) {
        auto& shared = by_text[check_key(check)];
        if (!shared) shared = std::make_shared<const config::Check>(check);
        return shared;
    };
    struct Key {
        const config::Check* check;  // interned
        boost::asio::ip::tcp::endpoint target;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            auto h = std::hash<const void*>{}(k.check) ^ (std::size_t{k.target.port()} << 16);
            const auto* bytes = reinterpret_cast<const unsigned char*>(k.target.data());
            return h ^ std::hash<std::string_view>{}(
                           std::string_view(reinterpret_cast<const char*>(bytes), k.target.size()));
        }
    };
    struct Wanted {
        std::shared_ptr<const config::Check> check;
        std::vector<Monitor::User> users;
        Monitor* existing = nullptr;
    };
    std::unordered_set<std::string> names;
    std::unordered_map<Key, Wanted, KeyHash> wanted;
    for (const auto& vs : cfg.virtual_servers) {
        const std::string* name = &*names.insert(vs.name).first;
        auto vs_check = vs.check ? intern(*vs.check) : nullptr;
        for (const auto& rs : vs.real_servers) {
            auto check = rs.check ? intern(*rs.check) : vs_check;
            if (!check) continue;
            auto& w = wanted[Key{check.get(), {rs.address, check->port.value_or(rs.port)}}];
            if (!w.check) w.check = check;
            w.users.push_back(Monitor::User{name, rs.port});
        }
    }
    // Existing monitors whose check and target are still wanted carry on, state and all.
    std::unordered_map<const config::Check*, const config::Check*> same;  // old -> interned
    std::size_t stopped = 0;
    for (auto& m : monitors_) {
        auto [it, fresh] = same.try_emplace(&m->check(), nullptr);
        if (fresh) it->second = intern(m->check()).get();
        auto w = wanted.find(Key{it->second, m->target()});
        if (w == wanted.end() || w->second.existing) {
            m.reset();
            ++stopped;
        } else {
            w->second.existing = m.get();
        }
    }
    std::vector<std::unique_ptr<Monitor>> monitors;
    std::vector<Monitor::User> users;
    monitors.reserve(wanted.size());
    std::size_t kept = 0;
    for (auto& m : monitors_)
        if (m) monitors.push_back(std::move(m)), ++kept;
    for (auto& [key, w] : wanted)
        if (!w.existing)
            w.existing = monitors
                             .emplace_back(std::make_unique<Monitor>(scheduler_, observer(),
                                                                     w.check, key.target))
                             .get();
    for (auto& [key, w] : wanted) {
        w.existing->first_user = static_cast<std::uint32_t>(users.size());
        w.existing->user_count = static_cast<std::uint32_t>(w.users.size());
        users.insert(users.end(), w.users.begin(), w.users.end());
    }
    monitors_ = std::move(monitors);
    users_ = std::move(users);
    virtual_server_names_ = std::move(names);
    // Spread the first runs over one interval from now, so thousands do not fire together.
    auto now = Monitor::Clock::now();
    for (std::size_t i = kept; i < monitors_.size(); ++i) {
        std::uniform_int_distribution<long long> spread(0,
                                                        monitors_[i]->check().interval.count() - 1);
        monitors_[i]->start(now + std::chrono::microseconds(spread(random_)));
    }
    log::info("health checks: {} monitors ({} started, {} kept, {} stopped)", monitors_.size(),
              monitors_.size() - kept, kept, stopped);
}

std::span<const Monitor::User> HealthChecker::users_of(const Monitor& m) const {
    return {users_.data() + m.first_user, m.user_count};
}

void HealthChecker::on_change(const Monitor& m) {
    const auto& r = m.last_result();
    std::string servers;
    for (const auto& u : users_of(m))
        if (servers.find(*u.virtual_server) == std::string::npos)
            servers += (servers.empty() ? "" : ", ") + *u.virtual_server;
    log::info("{} {}: {} ({} check, {}, virtual servers: {})", m.target_name(),
              m.up() ? "UP" : "DOWN", r.reason, m.kind(), format_duration(r.latency), servers);
    for (const auto& u : users_of(m)) {
        HealthEvent event{{*u.virtual_server, endpoint_name(m.target().address(), u.port)},
                          m.up(),
                          r.reason,
                          r.latency};
        for (const auto& listener : listeners_) listener(event);
    }
}

bool HealthChecker::is_up(const RealServerRef& who) const {
    for (const auto& m : monitors_)
        for (const auto& u : users_of(*m))
            if (*u.virtual_server == who.virtual_server &&
                endpoint_name(m->target().address(), u.port) == who.real_server)
                return m->up();
    return false;
}

void HealthChecker::for_each_state(
    const std::function<void(const RealServerRef&, bool up)>& visit) const {
    for_each_monitor([&](const RealServerRef& who, const Monitor& m) {
        if (m.decided()) visit(who, m.up());
    });
}

void HealthChecker::for_each_monitor(
    const std::function<void(const RealServerRef&, const Monitor&)>& visit) const {
    for_each_monitor(0, monitors_.size(), visit);
}

void HealthChecker::for_each_monitor(
    std::size_t first, std::size_t last,
    const std::function<void(const RealServerRef&, const Monitor&)>& visit) const {
    for (auto i = first; i < std::min(last, monitors_.size()); ++i)
        for (const auto& u : users_of(*monitors_[i]))
            visit(RealServerRef{*u.virtual_server,
                                endpoint_name(monitors_[i]->target().address(), u.port)},
                  *monitors_[i]);
}

void HealthChecker::log_status() const {
    auto up = std::count_if(monitors_.begin(), monitors_.end(), [](auto& m) { return m->up(); });
    const auto& lateness = scheduler_.lateness();
    log::info(
        "status health checks: {} monitors ({} up, {} down), probes started {}, start lateness "
        "p50 {}, p99 {}, max {}",
        monitors_.size(), up, monitors_.size() - static_cast<std::size_t>(up), scheduler_.started(),
        format_duration(lateness.percentile(0.5)), format_duration(lateness.percentile(0.99)),
        format_duration(lateness.percentile(1.0)));
}

}  // namespace directord::healthcheck
