#pragma once
// What a sync group imposes on its members, decided from their own standing alone (pure):
// one priority for all (each gets the others' tracking weights), one member in FAULT puts all
// in FAULT, one member following a better master holds the others back, and one member in
// MASTER pulls the others along.
#include <optional>
#include <string>
#include <vector>

namespace directord::vrrp {

struct GroupMember {
    std::string name;
    bool own_fault = false;  // FAULT for a reason of its own, not one the group imposed
    bool following = false;  // BACKUP hearing a master it will not preempt
    bool master = false;
    int own_weight = 0;  // its own tracking weights in effect
};

struct GroupOrders {
    int group_weight = 0;              // the other members' weights
    std::optional<std::string> fault;  // "sync group dlvs: inside is in FAULT"
    std::optional<std::string> hold;   // "sync group dlvs: outside follows another master"
};

// Orders for members[i], in the same order.
std::vector<GroupOrders> settle_group(const std::string& group,
                                      const std::vector<GroupMember>& members);
// Once the orders are applied: the member in MASTER that the others in BACKUP must follow
// ("sync group dlvs: outside is MASTER"), as an index into `members`, if any.
std::optional<std::size_t> group_master(const std::vector<GroupMember>& members);

}  // namespace directord::vrrp
