#include "directord/vrrp/sync_group.hpp"

#include <fmt/format.h>

namespace directord::vrrp {

std::vector<GroupOrders> settle_group(const std::string& group,
                                      const std::vector<GroupMember>& members) {
    int total_weight = 0;
    const GroupMember* faulty = nullptr;
    const GroupMember* follower = nullptr;
    for (const auto& m : members) {
        total_weight += m.own_weight;
        if (!faulty && m.own_fault) faulty = &m;
        if (!follower && m.following) follower = &m;
    }
    std::vector<GroupOrders> out;
    for (const auto& m : members) {
        GroupOrders orders;
        // One member's weight applies to all, so the group has a single priority and the two
        // directors' groups compare consistently.
        orders.group_weight = total_weight - m.own_weight;
        if (faulty && faulty != &m)
            orders.fault = fmt::format("sync group {}: {} is in FAULT", group, faulty->name);
        if (follower && follower != &m)
            orders.hold =
                fmt::format("sync group {}: {} follows another master", group, follower->name);
        out.push_back(std::move(orders));
    }
    return out;
}

std::optional<std::size_t> group_master(const std::vector<GroupMember>& members) {
    for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i].master) return i;
    return std::nullopt;
}

}  // namespace directord::vrrp
