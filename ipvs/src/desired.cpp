#include "directord/ipvs/desired.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace directord::ipvs {
namespace {

Forward forward_of(config::Forwarding f) {
    switch (f) {
        case config::Forwarding::direct:
            return Forward::direct;
        case config::Forwarding::tunnel:
            return Forward::tunnel;
        case config::Forwarding::nat:
            break;
    }
    return Forward::nat;
}

}  // namespace

Pool pool_of(const config::VirtualServer& vs) {
    Pool pool;
    pool.name = vs.name;
    pool.vrrp_instance = vs.vrrp_instance;
    bool v6 = vs.fwmark ? (!vs.real_servers.empty() && vs.real_servers.front().address.is_v6())
                        : vs.address.is_v6();
    auto& s = pool.service;
    s.key.family = v6 ? 10 : 2;
    if (vs.fwmark) {
        s.key.protocol = 0;
        s.key.fwmark = vs.fwmark;
    } else {
        s.key.protocol = vs.protocol == "udp" ? 17 : 6;
        s.key.address = vs.address;
        s.key.port = vs.port;
    }
    s.scheduler = vs.scheduler;
    s.timeout = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(vs.persistence).count());
    if (s.timeout) s.flags |= kPersistent;
    if (vs.one_packet) s.flags |= kOnePacket;
    for (const auto& f : vs.scheduler_flags)
        s.flags |= f == "fallback" ? kSchedulerFlag1 : kSchedulerFlag2;
    s.netmask = v6                       ? 128
                : vs.persistence_netmask ? vs.persistence_netmask->to_v4().to_uint()
                                         : 0xffffffff;
    for (const auto& rs : vs.real_servers) {
        Destination d;
        d.address = rs.address;
        d.port = rs.port;
        d.forward = forward_of(rs.forwarding.value_or(vs.forwarding));
        d.weight = rs.weight;
        const auto& check = rs.check ? rs.check : vs.check;
        pool.members.push_back({describe(d), d, !check || check->initially_up});
    }
    pool.inhibit = vs.on_failure == config::OnFailure::inhibit;
    if (vs.sorry_server) {
        Destination d;
        d.address = vs.sorry_server->address;
        d.port = vs.sorry_server->port;
        d.forward = forward_of(vs.forwarding);
        pool.sorry = d;
    }
    pool.quorum = vs.quorum;
    pool.hysteresis = vs.quorum_hysteresis;
    return pool;
}

void DesiredState::configure(std::vector<Pool> pools) {
    pools_ = std::move(pools);
    health_.assign(pools_.size(), {});
    quorum_.assign(pools_.size(), 0);
    pool_index_.clear();
    member_index_.assign(pools_.size(), {});
    for (std::size_t i = 0; i < pools_.size(); ++i) {
        pool_index_[pools_[i].name] = i;
        for (std::size_t j = 0; j < pools_[i].members.size(); ++j) {
            health_[i].push_back(pools_[i].members[j].assumed_up ? up : unknown);
            member_index_[i][pools_[i].members[j].name] = j;
        }
    }
}

bool DesiredState::set_health(const std::string& pool, const std::string& member, bool is_up) {
    auto p = pool_index_.find(pool);
    if (p == pool_index_.end()) return false;
    auto m = member_index_[p->second].find(member);
    if (m == member_index_[p->second].end()) return false;
    Health& state = health_[p->second][m->second];
    Health now = is_up ? up : down;
    if (state == now) return false;
    state = now;
    return true;
}

bool DesiredState::set_role(const std::string& instance, bool master) {
    auto [it, fresh] = master_.try_emplace(instance, master);
    if (!fresh && it->second == master) return false;
    it->second = master;
    return true;
}

Table DesiredState::table(const Table& kernel, std::vector<std::string>* events) {
    // Built on first use: only members still waiting for their first result look it up.
    std::map<ServiceKey, const VirtualService*> in_kernel_by_key;
    bool indexed = false;
    // As the kernel has it: the destination at `d`'s place in `service`, if any.
    auto in_kernel = [&](const Service& service, const Destination& d) -> const Destination* {
        if (!std::exchange(indexed, true))
            for (const auto& vs : kernel) in_kernel_by_key.emplace(vs.service.key, &vs);
        auto vs = in_kernel_by_key.find(service.key);
        if (vs == in_kernel_by_key.end()) return nullptr;
        for (const auto& k : vs->second->destinations)
            if (k.same_place(d)) return &k;
        return nullptr;
    };
    Table table;
    for (std::size_t i = 0; i < pools_.size(); ++i) {
        const Pool& pool = pools_[i];
        if (!pool.vrrp_instance.empty()) {
            auto role = master_.find(pool.vrrp_instance);
            if (role == master_.end() || !role->second) continue;
        }
        VirtualService vs{pool.service, {}};
        unsigned live = 0;
        for (std::size_t j = 0; j < pool.members.size(); ++j) {
            Destination d = pool.members[j].destination;
            const Destination* kept =
                health_[i][j] == unknown ? in_kernel(pool.service, d) : nullptr;
            if (kept) {
                d.weight = kept->weight;
                live += d.weight;
            } else if (health_[i][j] == up) {
                live += d.weight;
            } else if (pool.inhibit) {
                d.weight = 0;
            } else {
                continue;
            }
            vs.destinations.push_back(d);
        }
        bool held = quorum_[i];
        bool now = held ? live + std::min(pool.hysteresis, pool.quorum) >= pool.quorum
                        : live >= pool.quorum + pool.hysteresis;
        if (now != held && events)
            events->push_back(fmt::format(
                "{}: quorum {} (live weight {}, quorum {}){}", pool.name, now ? "reached" : "lost",
                live, pool.quorum,
                pool.sorry
                    ? (now ? ": sorry server withdrawn"
                           : ": sorry server " + describe(*pool.sorry) + " takes the traffic")
                    : ""));
        quorum_[i] = now;
        if (!now && pool.sorry &&
            std::none_of(vs.destinations.begin(), vs.destinations.end(),
                         [&](const Destination& d) { return d.same_place(*pool.sorry); }))
            vs.destinations.push_back(*pool.sorry);
        table.push_back(std::move(vs));
    }
    return table;
}

std::vector<ServiceKey> DesiredState::keys() const {
    std::vector<ServiceKey> keys;
    for (const auto& p : pools_) keys.push_back(p.service.key);
    return keys;
}

}  // namespace directord::ipvs
