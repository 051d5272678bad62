#include "directord/ipvs/draining.hpp"

#include <algorithm>
#include <set>

namespace directord::ipvs {

std::vector<DrainingServices::Kept> DrainingServices::reconfigured(const Pools& before,
                                                                   const Pools& after,
                                                                   std::chrono::microseconds drain,
                                                                   Clock::time_point now) {
    std::set<ServiceKey> configured;
    for (const auto& pool : after.all())
        for (const auto& service : pool.services) configured.insert(service.key);
    std::erase_if(until_, [&](const auto& entry) { return configured.contains(entry.first); });
    std::vector<Kept> started;
    if (drain.count() <= 0) return started;
    for (const auto& pool : before.all())
        for (const auto& service : pool.services)
            if (service.ordered && !configured.contains(service.key) &&
                until_.emplace(service.key, now + drain).second)
                started.push_back({pool.name, service.key});
    return started;
}

std::optional<DrainingServices::Clock::time_point> DrainingServices::next_end() const {
    if (until_.empty()) return std::nullopt;
    return std::min_element(until_.begin(), until_.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
        ->second;
}

std::size_t DrainingServices::expire(Clock::time_point now) {
    return std::erase_if(until_, [&](const auto& entry) { return entry.second <= now; });
}

}  // namespace directord::ipvs
