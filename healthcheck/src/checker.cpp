#include "directord/healthcheck/checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "directord/duration.hpp"
#include "directord/log.hpp"

namespace directord::healthcheck {
namespace {

void mix(std::size_t& h, std::size_t value) {
    h ^= value + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
}

// What usually tells two checks of one kind apart; the rest is left to equality.
std::size_t distinguishing_hash(const config::Check& c) {
    std::hash<std::string> text;
    return std::visit(
        [&](const auto& kind) -> std::size_t {
            using Kind = std::decay_t<decltype(kind)>;
            if constexpr (std::is_same_v<Kind, config::HttpCheck>)
                return text(kind.path) ^ text(kind.host);
            else if constexpr (std::is_same_v<Kind, config::ScriptCheck>)
                return kind.argv.empty() ? 0 : text(kind.argv.back());
            else if constexpr (std::is_same_v<Kind, config::MysqlCheck> ||
                               std::is_same_v<Kind, config::GaleraCheck>)
                return text(kind.user);
            else if constexpr (std::is_same_v<Kind, config::DnsCheck>)
                return text(kind.name) ^ kind.type;
            else if constexpr (std::is_same_v<Kind, config::UdpCheck>)
                return text(kind.payload);
            else
                return 0;
        },
        c.kind);
}

// Checks are interned by their own operator== (every field, those added later too); the hash
// only spreads them, so a field it leaves out costs a comparison, never a wrong merge.
struct CheckHash {
    std::size_t operator()(const config::Check* c) const {
        std::size_t h = c->kind.index();
        for (auto value :
             {std::size_t{c->port.value_or(0)}, static_cast<std::size_t>(c->interval.count()),
              static_cast<std::size_t>(c->timeout.count()), distinguishing_hash(*c)})
            mix(h, value);
        return h;
    }
};
struct CheckEqual {
    bool operator()(const config::Check* a, const config::Check* b) const { return *a == *b; }
};

}  // namespace

HealthChecker::HealthChecker(boost::asio::io_context& io) : scheduler_(Scheduler::of(io)) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::apply(const config::Config& cfg) {
    // Built without a string per real server: with tens of thousands of them, the temporaries
    // would otherwise outweigh the monitors and leave the heap fragmented behind them.
    std::unordered_map<const config::Check*, std::shared_ptr<const config::Check>, CheckHash,
                       CheckEqual>
        interned;
    auto intern = [&](const config::Check& check) {
        if (auto it = interned.find(&check); it != interned.end()) return it->second;
        auto shared = std::make_shared<const config::Check>(check);
        interned.emplace(shared.get(), shared);
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
    std::vector<std::string> names;
    names.reserve(cfg.virtual_servers.size());
    std::unordered_map<Key, Wanted, KeyHash> wanted;
    for (const auto& vs : cfg.virtual_servers) {
        auto vs_index = static_cast<std::uint32_t>(names.size());
        names.push_back(vs.name);
        auto vs_check = vs.check ? intern(*vs.check) : nullptr;
        for (std::uint32_t j = 0; j < vs.real_servers.size(); ++j) {
            const auto& rs = vs.real_servers[j];
            auto check = rs.check ? intern(*rs.check) : vs_check;
            if (!check) continue;
            auto& w = wanted[Key{check.get(), {rs.address, check->port.value_or(rs.port)}}];
            if (!w.check) w.check = check;
            w.users.push_back(RealServerId{vs_index, j});
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
    monitor_index_.assign(cfg.virtual_servers.size(), {});
    for (std::size_t v = 0; v < cfg.virtual_servers.size(); ++v)
        monitor_index_[v].assign(cfg.virtual_servers[v].real_servers.size(), 0);
    for (std::uint32_t i = 0; i < monitors_.size(); ++i)
        for (const auto& u : users_of(*monitors_[i]))
            monitor_index_[u.virtual_server][u.real_server] = i + 1;
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
    std::uint32_t last = UINT32_MAX;  // a virtual server's real servers are contiguous
    for (const auto& u : users_of(m))
        if (std::exchange(last, u.virtual_server) != u.virtual_server)
            servers += (servers.empty() ? "" : ", ") + virtual_server_names_[u.virtual_server];
    log::info({.state = m.up() ? "UP" : "DOWN",
               .virtual_server = servers,
               .real_server = m.target_name(),
               .reason = r.reason},
              "{} {}: {} ({} check, {}, virtual servers: {})", m.target_name(),
              m.up() ? "UP" : "DOWN", r.reason, m.kind(), format_duration(r.latency), servers);
    for (const auto& u : users_of(m)) {
        HealthEvent event{u, m.up(), r.reason, r.latency};
        for (const auto& listener : listeners_) listener(event);
    }
}

bool HealthChecker::is_up(const RealServerId& who) const {
    const auto* m = monitor_of(who);
    return m && m->up();
}

const Monitor* HealthChecker::monitor_of(const RealServerId& who) const {
    if (who.virtual_server >= monitor_index_.size()) return nullptr;
    const auto& members = monitor_index_[who.virtual_server];
    if (who.real_server >= members.size() || members[who.real_server] == 0) return nullptr;
    return monitors_[members[who.real_server] - 1].get();
}

void HealthChecker::for_each_state(
    const std::function<void(const RealServerId&, bool up)>& visit) const {
    for (const auto& m : monitors_)
        if (m->decided())
            for (const auto& u : users_of(*m)) visit(u, m->up());
}

void HealthChecker::log_status() const {
    auto up = std::count_if(monitors_.begin(), monitors_.end(), [](auto& m) { return m->up(); });
    const auto& lateness = scheduler_.lateness();
    log::info(
        "status health checks: {} monitors ({} up, {} down), probes started {}, start lateness "
        "p50 {}, p99 {}, max {}, longest turn {:.1f}ms",
        monitors_.size(), up, monitors_.size() - static_cast<std::size_t>(up), scheduler_.started(),
        format_duration(lateness.percentile(0.5)), format_duration(lateness.percentile(0.99)),
        format_duration(lateness.percentile(1.0)), scheduler_.turns().max_seconds * 1000);
}

}  // namespace directord::healthcheck
