#include "directord/healthcheck/checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "directord/duration.hpp"
#include "directord/log.hpp"

namespace directord::healthcheck {
HealthChecker::HealthChecker(boost::asio::io_context& io) : Monitor::Owner(Scheduler::of(io)) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::apply(const config::Config& cfg) {
    CheckPlan plan(cfg);
    apply(plan);
}

void HealthChecker::apply(CheckPlan& plan) {
    // Running monitors whose check and target are still wanted carry on, state and all.
    std::vector<std::unique_ptr<Monitor>> monitors(plan.entries.size());
    std::unordered_map<const config::Check*, const config::Check*> shared;  // running -> plan's
    std::size_t stopped = 0;
    for (auto& m : monitors_) {
        auto [it, fresh] = shared.try_emplace(&m->check(), nullptr);
        if (fresh) it->second = plan.shared(m->check());
        auto entry = it->second ? plan.find(it->second, m->target()) : CheckPlan::npos;
        if (entry == CheckPlan::npos || monitors[entry]) {
            ++stopped;  // freed with the old list below
        } else {
            monitors[entry] = std::move(m);
        }
    }
    std::vector<Monitor*> started;
    for (std::size_t e = 0; e < monitors.size(); ++e) {
        auto& entry = plan.entries[e];
        if (!monitors[e]) {
            monitors[e] = std::make_unique<Monitor>(owner(), entry.check, entry.target);
            started.push_back(monitors[e].get());
        }
        monitors[e]->first_user = entry.first_user;
        monitors[e]->user_count = entry.user_count;
    }
    monitors_ = std::move(monitors);
    // The lists replaced go to the plan, which is freed off the loop.
    users_.swap(plan.users);
    virtual_server_names_.swap(plan.virtual_server_names);
    monitor_index_.swap(plan.entry_of);
    // Spread the first runs over one interval from now, so thousands do not fire together.
    auto now = Monitor::Clock::now();
    for (auto* m : started) {
        std::uniform_int_distribution<long long> spread(0, m->check().interval.count() - 1);
        m->start(now + std::chrono::microseconds(spread(random_)));
    }
    log::info("health checks: {} monitors ({} started, {} kept, {} stopped)", monitors_.size(),
              started.size(), monitors_.size() - started.size(), stopped);
}

std::span<const Monitor::User> HealthChecker::users_of(const Monitor& m) const {
    return {users_.data() + m.first_user, m.user_count};
}

void HealthChecker::on_change(const Monitor& m) {
    std::string servers;
    std::uint32_t last = UINT32_MAX;  // a virtual server's real servers are contiguous
    for (const auto& u : users_of(m))
        if (std::exchange(last, u.virtual_server) != u.virtual_server)
            servers += (servers.empty() ? "" : ", ") + virtual_server_names_[u.virtual_server];
    log::info({.state = m.up() ? "UP" : "DOWN",
               .virtual_server = servers,
               .real_server = m.target_name(),
               .reason = m.last_reason()},
              "{} {}: {} ({} check, {}, virtual servers: {})", m.target_name(),
              m.up() ? "UP" : "DOWN", m.last_reason(), m.kind(), format_duration(m.last_latency()),
              servers);
    for (const auto& u : users_of(m)) {
        HealthEvent event{u, m.up(), m.last_reason(), m.last_latency()};
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
    const auto& lateness = scheduler().lateness();
    log::info(
        "status health checks: {} monitors ({} up, {} down), probes started {}, start lateness "
        "p50 {}, p99 {}, max {}, longest turn {:.1f}ms",
        monitors_.size(), up, monitors_.size() - static_cast<std::size_t>(up),
        scheduler().started(), format_duration(lateness.percentile(0.5)),
        format_duration(lateness.percentile(0.99)), format_duration(lateness.percentile(1.0)),
        scheduler().turns().max_seconds * 1000);
}

}  // namespace directord::healthcheck
