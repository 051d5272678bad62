#include "directord/healthcheck/check_plan.hpp"

#include <string_view>
#include <type_traits>

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

}  // namespace

// Checks are shared by their own operator== (every field, those added later too); the hash
// only spreads them, so a field it leaves out costs a comparison, never a wrong merge.
std::size_t CheckPlan::CheckHash::operator()(const config::Check* c) const {
    std::size_t h = c->kind.index();
    for (auto value :
         {std::size_t{c->port.value_or(0)}, static_cast<std::size_t>(c->interval.count()),
          static_cast<std::size_t>(c->timeout.count()), distinguishing_hash(*c)})
        mix(h, value);
    return h;
}

std::size_t CheckPlan::KeyHash::operator()(const Key& k) const {
    auto h = std::hash<const void*>{}(k.check) ^ (std::size_t{k.target.port()} << 16);
    const auto* bytes = reinterpret_cast<const char*>(k.target.data());
    return h ^ std::hash<std::string_view>{}(std::string_view(bytes, k.target.size()));
}

// Built without a string per real server: with tens of thousands of them, the temporaries
// would otherwise outweigh the monitors and leave the heap fragmented behind them.
CheckPlan::CheckPlan(const config::Config& cfg) {
    auto share = [&](const config::Check& check) {
        if (auto it = checks_.find(&check); it != checks_.end()) return it->second;
        auto copy = std::make_shared<const config::Check>(check);
        checks_.emplace(copy.get(), copy);
        return copy;
    };
    virtual_server_names.reserve(cfg.virtual_servers.size());
    entry_of.resize(cfg.virtual_servers.size());
    for (std::uint32_t v = 0; v < cfg.virtual_servers.size(); ++v) {
        const auto& vs = cfg.virtual_servers[v];
        virtual_server_names.push_back(vs.name);
        entry_of[v].assign(vs.real_servers.size(), 0);
        auto vs_check = vs.check ? share(*vs.check) : nullptr;
        for (std::uint32_t j = 0; j < vs.real_servers.size(); ++j) {
            const auto& rs = vs.real_servers[j];
            auto check = rs.check ? share(*rs.check) : vs_check;
            if (!check) continue;
            boost::asio::ip::tcp::endpoint target{rs.address, check->port.value_or(rs.port)};
            auto [it, fresh] = index_.try_emplace(Key{check.get(), target},
                                                  static_cast<std::uint32_t>(entries.size()));
            if (fresh) entries.push_back(Entry{check, target});
            ++entries[it->second].user_count;
            entry_of[v][j] = it->second + 1;
        }
    }
    // Each entry's users, contiguous and in configuration order: counted above, placed here
    // (a list per entry would be tens of thousands of small allocations).
    std::uint32_t next = 0;
    for (auto& entry : entries) {
        entry.first_user = next;
        next += entry.user_count;
    }
    users.resize(next);
    std::vector<std::uint32_t> placed(entries.size(), 0);
    for (std::uint32_t v = 0; v < entry_of.size(); ++v)
        for (std::uint32_t j = 0; j < entry_of[v].size(); ++j)
            if (auto e = entry_of[v][j]) {
                const auto& entry = entries[e - 1];
                users[entry.first_user + placed[e - 1]++] = {v, j};
            }
}

const config::Check* CheckPlan::shared(const config::Check& check) const {
    auto it = checks_.find(&check);
    return it == checks_.end() ? nullptr : it->second.get();
}

std::size_t CheckPlan::find(const config::Check* check,
                            const boost::asio::ip::tcp::endpoint& target) const {
    auto it = index_.find(Key{check, target});
    return it == index_.end() ? npos : it->second;
}

}  // namespace directord::healthcheck
