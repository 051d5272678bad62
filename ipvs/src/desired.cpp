#include "directord/ipvs/desired.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <tuple>
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
    const bool v6 = config::serves_ipv6(vs);
    Service s;
    s.scheduler = vs.scheduler;
    s.timeout = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(vs.persistence).count());
    if (s.timeout) s.flags |= kPersistent;
    if (vs.one_packet) s.flags |= kOnePacket;
    for (const auto& f : vs.scheduler_flags)
        s.flags |= f == "fallback" ? kSchedulerFlag1 : kSchedulerFlag2;
    s.netmask = v6                       ? vs.persistence_prefix.value_or(128)
                : vs.persistence_netmask ? vs.persistence_netmask->to_v4().to_uint()
                                         : 0xffffffff;
    s.persistence_engine = vs.persistence_engine;
    s.key.family = v6 ? 10 : 2;
    pool.services.reserve(vs.frontends.size());
    for (const auto& f : vs.frontends) {
        if (f.fwmark) {
            s.key.protocol = 0;
            s.key.address = Address{};
            s.key.port = 0;
            s.key.fwmark = f.fwmark;
        } else {
            s.key.protocol = vs.protocol == "udp" ? 17 : vs.protocol == "sctp" ? 132 : 6;
            s.key.address = f.address;
            s.key.port = f.port;
            s.key.fwmark = 0;
        }
        pool.services.push_back(s);
    }
    pool.members.reserve(vs.real_servers.size());
    for (const auto& rs : vs.real_servers) {
        Destination d;
        d.address = rs.address;
        d.port = rs.port;
        d.forward = forward_of(rs.forwarding.value_or(vs.forwarding));
        d.weight = rs.weight;
        d.upper_threshold = rs.upper_threshold;
        d.lower_threshold = rs.lower_threshold;
        const auto& check = rs.check ? rs.check : vs.check;
        pool.members.push_back({d, !check || check->initially_up});
    }
    pool.inhibit = vs.on_failure == config::OnFailure::inhibit || vs.announce;
    // Announced by every director of a tier: the same destinations in the same order on each.
    for (auto& service : pool.services) service.ordered = vs.announce;
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

Pools::Pools(const config::Config& cfg)
    : Pools([&] {
          std::vector<Pool> pools;
          pools.reserve(cfg.virtual_servers.size());
          for (const auto& vs : cfg.virtual_servers) pools.push_back(pool_of(vs));
          return pools;
      }()) {}

namespace {
auto endpoint_of(const Pool::Member& member) {
    return std::tie(member.destination.address, member.destination.port);
}
}  // namespace

Pools::Pools(std::vector<Pool> pools)
    : pools_(std::move(pools)), members_by_endpoint_(pools_.size()) {
    for (std::size_t i = 0; i < pools_.size(); ++i) {
        pool_index_[pools_[i].name] = i;
        const auto& members = pools_[i].members;
        auto& by_endpoint = members_by_endpoint_[i];
        by_endpoint.resize(members.size());
        std::iota(by_endpoint.begin(), by_endpoint.end(), 0u);
        std::sort(by_endpoint.begin(), by_endpoint.end(), [&](std::uint32_t a, std::uint32_t b) {
            return endpoint_of(members[a]) < endpoint_of(members[b]);
        });
    }
}

std::optional<std::size_t> Pools::find(const std::string& pool) const {
    auto p = pool_index_.find(pool);
    if (p == pool_index_.end()) return std::nullopt;
    return p->second;
}

std::optional<std::size_t> Pools::find_member(std::size_t pool, const std::string& member) const {
    // Only a member's own name names it ("10.0.0.1:080" does not), as operator weights are
    // kept by name.
    auto endpoint = config::parse_endpoint(member);
    if (!endpoint || config::endpoint_name(endpoint->first, endpoint->second) != member)
        return std::nullopt;
    return find_member(pool, endpoint->first, endpoint->second);
}

std::optional<std::size_t> Pools::find_member(std::size_t pool, const config::IpAddress& address,
                                              std::uint16_t port) const {
    const auto& members = pools_[pool].members;
    const auto& by_endpoint = members_by_endpoint_[pool];
    auto wanted = std::tie(address, port);
    auto m = std::lower_bound(
        by_endpoint.begin(), by_endpoint.end(), wanted,
        [&](std::uint32_t index, const auto& key) { return endpoint_of(members[index]) < key; });
    if (m == by_endpoint.end() || endpoint_of(members[*m]) != wanted) return std::nullopt;
    return *m;
}

Pools DesiredState::configure(Pools pools, std::vector<std::string>* forgotten) {
    // A pool that stays keeps its quorum state, so a reload logs no quorum line.
    std::vector<Quorum> quorum(pools.all().size(), Quorum::undecided);
    for (std::size_t i = 0; i < pools_.all().size(); ++i)
        if (auto p = pools.find(pools_.all()[i].name)) quorum[*p] = quorum_[i];
    quorum_ = std::move(quorum);
    std::swap(pools_, pools);  // `pools`: the old ones from here
    // Operator weights follow their members (address and port): indexes move when servers are
    // added.
    std::vector<std::vector<MemberWeight>> weights(pools_.all().size());
    for (std::size_t old = 0; old < weight_by_member_.size(); ++old) {
        const Pool& was = pools.all()[old];
        auto pool = pools_.find(was.name);
        for (auto [m, weight] : weight_by_member_[old]) {
            const auto& at = was.members[m].destination;
            if (auto member = pool ? pools_.find_member(*pool, at.address, at.port) : std::nullopt)
                weights[*pool].emplace_back(*member, weight);
            else if (forgotten)
                forgotten->push_back(was.name + " " + was.members[m].name());
        }
    }
    for (auto& pool : weights) std::sort(pool.begin(), pool.end());
    weight_by_member_ = std::move(weights);
    everything_touched_ = true;
    touched_.assign(pools_.all().size(), 0);
    touched_pools_.clear();
    health_.assign(pools_.all().size(), {});
    file_verdicts_.clear();
    for (std::size_t i = 0; i < pools_.all().size(); ++i) {
        health_[i].reserve(pools_.all()[i].members.size());
        for (const auto& member : pools_.all()[i].members)
            health_[i].push_back(member.assumed_up ? up : unknown);
    }
    return pools;
}

bool DesiredState::set_health(config::RealServerId member, bool is_up) {
    if (!pools_.has(member)) return false;
    Health& state = health_[member.virtual_server][member.real_server];
    Health now = is_up ? up : down;
    if (state == now) return false;
    state = now;
    touch(member.virtual_server);
    return true;
}

bool DesiredState::set_file_verdict(config::RealServerId member, bool down,
                                    std::int64_t weight_change) {
    if (!pools_.has(member)) return false;
    auto [it, fresh] = file_verdicts_.try_emplace({member.virtual_server, member.real_server},
                                                  FileVerdict{down, weight_change});
    if (!fresh && it->second.down == down && it->second.weight_change == weight_change)
        return false;
    it->second = {down, weight_change};
    touch(member.virtual_server);
    return true;
}

void DesiredState::touch(std::size_t pool) {
    if (!std::exchange(touched_[pool], 1)) touched_pools_.push_back(pool);
}

bool DesiredState::set_role(const std::string& instance, bool master) {
    auto [it, fresh] = master_.try_emplace(instance, master);
    if (!fresh && it->second == master) return false;
    it->second = master;
    bool tied = false;
    for (std::size_t i = 0; i < pools_.all().size(); ++i)
        if (pools_.all()[i].vrrp_instance == instance) {
            touch(i);
            tied = true;
        }
    return tied;
}

bool DesiredState::set_operator_weight(const std::string& pool, const std::string& member,
                                       std::optional<std::uint32_t> weight) {
    auto p = pools_.find(pool);
    auto m = p ? pools_.find_member(*p, member) : std::nullopt;
    if (!m || operator_weight(*p, *m) == weight) return false;
    auto& by_member = weight_by_member_[*p];
    auto slot = by_member.begin() + weight_slot(*p, *m);
    if (!weight)
        by_member.erase(slot);
    else if (slot != by_member.end() && slot->first == *m)
        slot->second = *weight;
    else
        by_member.emplace(slot, *m, *weight);
    touch(*p);
    return true;
}

DesiredState::OperatorWeights DesiredState::operator_weights() const {
    OperatorWeights named;
    for (std::size_t i = 0; i < weight_by_member_.size(); ++i) {
        const Pool& pool = pools_.all()[i];
        for (auto [member, weight] : weight_by_member_[i])
            named[pool.name][pool.members[member].name()] = weight;
    }
    return named;
}

std::size_t DesiredState::weight_slot(std::size_t pool, std::size_t member) const {
    const auto& weights = weight_by_member_[pool];
    return std::lower_bound(weights.begin(), weights.end(), member,
                            [](const MemberWeight& w, std::size_t m) { return w.first < m; }) -
           weights.begin();
}

std::optional<std::uint32_t> DesiredState::operator_weight(std::size_t pool,
                                                           std::size_t member) const {
    const auto& weights = weight_by_member_[pool];
    auto slot = weight_slot(pool, member);
    if (slot == weights.size() || weights[slot].first != member) return std::nullopt;
    return weights[slot].second;
}

DesiredState::Update DesiredState::update(const TableByKey& kernel,
                                          std::vector<QuorumChange>* events) {
    Update update;
    if (everything_touched_) {
        update.whole = true;
        update.table = table(kernel, events);
        return update;
    }
    std::sort(touched_pools_.begin(), touched_pools_.end());  // in configuration order
    for (auto i : touched_pools_) {
        for (const auto& s : pools_.all()[i].services) update.scope.push_back(s.key);
        build(i, kernel, update.table, events);
        touched_[i] = 0;
    }
    touched_pools_.clear();
    return update;
}

Table DesiredState::table(const TableByKey& kernel, std::vector<QuorumChange>* events) {
    Table table;
    for (std::size_t i = 0; i < pools_.all().size(); ++i) build(i, kernel, table, events);
    everything_touched_ = false;
    touched_.assign(pools_.all().size(), 0);
    touched_pools_.clear();
    return table;
}

// Appends pool `i`'s services to `table` when they should be in the kernel: the same
// destinations in each (a group's members share their real servers).
void DesiredState::build(std::size_t i, const TableByKey& kernel, Table& table,
                         std::vector<QuorumChange>* events) {
    const Pool& pool = pools_.all()[i];
    if (!pool.vrrp_instance.empty()) {
        auto role = master_.find(pool.vrrp_instance);
        if (role == master_.end() || !role->second) return;
    }
    const auto first = table.size();
    for (const auto& service : pool.services) table.push_back(VirtualService{service, {}});
    const std::span<VirtualService> built(table.data() + first, pool.services.size());
    std::uint64_t live = 0;  // file checks can raise weights up to 2^31 - 1 each
    bool waiting = false;    // for a first check result
    const auto& operator_weights = weight_by_member_[i];  // in member order
    auto next_weight = operator_weights.begin();
    for (std::size_t j = 0; j < pool.members.size(); ++j) {
        Destination d = pool.members[j].destination;
        Health health = health_[i][j];
        if (auto file = file_verdicts_.empty() ? file_verdicts_.end() : file_verdicts_.find({i, j});
            file != file_verdicts_.end()) {
            if (file->second.down) health = down;
            d.weight = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
                std::int64_t{d.weight} + file->second.weight_change, 0, INT32_MAX));
        }
        std::optional<std::uint32_t> chosen;
        if (next_weight != operator_weights.end() && next_weight->first == j)
            chosen = (next_weight++)->second;
        d.weight = chosen.value_or(d.weight);
        waiting |= health == unknown;
        for (auto& vs : built) {
            // Before its first result a member stays as each service has it in the kernel.
            Destination placed = d;
            const Destination* kept =
                health == unknown ? find_destination(kernel, vs.service.key, d) : nullptr;
            if (kept)
                placed.weight = chosen.value_or(kept->weight);
            else if (health != up && pool.inhibit)
                placed.weight = 0;  // its connections drain
            else if (health != up)
                continue;
            if (&vs == &built.front()) live += placed.weight;
            vs.destinations.push_back(placed);
        }
    }
    Quorum before = quorum_[i];
    bool held = before == Quorum::held;
    bool now = held ? live + std::min(pool.hysteresis, pool.quorum) >= pool.quorum
                    : live >= pool.quorum + pool.hysteresis;
    // Undecided while members wait for their first result: the start is not an event,
    // but a pool whose first results leave it without quorum is.
    quorum_[i] = now                                      ? Quorum::held
                 : before == Quorum::undecided && waiting ? Quorum::undecided
                                                          : Quorum::lost;
    bool told = before == Quorum::undecided ? quorum_[i] == Quorum::lost : now != held;
    if (told && events)
        events->push_back(
            QuorumChange{pool.name, now, live, pool.quorum,
                         fmt::format("{}: quorum {} (live weight {}, quorum {}){}", pool.name,
                                     now ? "reached" : "lost", live, pool.quorum,
                                     pool.sorry ? (now ? ": sorry server withdrawn"
                                                       : ": sorry server " + describe(*pool.sorry) +
                                                             " takes the traffic")
                                                : "")});
    for (auto& vs : built)
        if (vs.service.ordered)  // by place: the order every director adds them in
            std::sort(vs.destinations.begin(), vs.destinations.end(),
                      [](const Destination& a, const Destination& b) {
                          return std::tie(a.address, a.port) < std::tie(b.address, b.port);
                      });
    if (now || !pool.sorry) return;
    for (auto& vs : built)
        if (std::none_of(vs.destinations.begin(), vs.destinations.end(),
                         [&](const Destination& d) { return d.same_place(*pool.sorry); }))
            vs.destinations.push_back(*pool.sorry);
}

std::string_view DesiredState::health(std::size_t pool, std::size_t member) const {
    if (auto file = file_verdicts_.find({pool, member});
        file != file_verdicts_.end() && file->second.down)
        return "down";
    switch (health_[pool][member]) {
        case up:
            return "up";
        case down:
            return "down";
        case unknown:
            break;
    }
    return "unknown";
}

std::string_view DesiredState::health(config::RealServerId member) const {
    return pools_.has(member) ? health(member.virtual_server, member.real_server) : "unknown";
}

std::string_view DesiredState::quorum(std::size_t pool) const {
    switch (quorum_[pool]) {
        case Quorum::held:
            return "held";
        case Quorum::lost:
            return "lost";
        case Quorum::undecided:
            break;
    }
    return "undecided";
}

std::vector<ServiceKey> DesiredState::keys() const {
    std::vector<ServiceKey> keys;
    for (const auto& p : pools_.all())
        for (const auto& s : p.services) keys.push_back(s.key);
    return keys;
}

}  // namespace directord::ipvs
