#pragma once
// An instance's standing from what it tracks: the effective priority and whether it must be
// in FAULT, with the words that explain both. Pure: the instance feeds it its tracked
// signals, its host fault and what its sync group and the maintenance file impose.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace directord::vrrp {

struct TrackedSignal {
    std::string what;  // "script chk", "interface eth1", "file /path", "check mysqld"
    int weight;        // 0: a failure is a FAULT; < 0 added while failing; > 0 while succeeding
    bool failing;
};

struct StandingInputs {
    std::uint8_t base_priority = 100;
    std::vector<TrackedSignal> signals;
    std::string host_fault;                              // "interface eth1 missing", or ""
    std::map<std::string, std::string> external_faults;  // key -> reason (maintenance, group)
    int group_weight = 0;                                // the other sync-group members' weights
};

struct Standing {
    std::uint8_t priority = 100;
    std::string own_fault;  // the instance's own (host and tracking), "" if none
    std::string fault;      // own and external, "" if none
    int own_weight = 0;     // the sum of this instance's own weights in effect
    std::string weights;    // "file /run/drain -5, sync group +10"
};

Standing assess_standing(const StandingInputs& in);
// One line per item in effect: "script chk_proxy failing (-20)", "file /etc/down present: FAULT".
std::vector<std::string> describe_standing(const StandingInputs& in);

}  // namespace directord::vrrp
