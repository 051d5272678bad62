#pragma once
// What the kernel's table should hold, from the configuration, the health of every real
// server and the VRRP roles. Pure (no I/O, no clock): the programmer feeds it events and
// reconciles its table() against the kernel's.
//  - A real server is in its service while up; when down it is removed, or kept with weight
//    0 with `on_failure: inhibit` (its connections drain). Before its first check result a
//    checked server stays as the kernel has it: absent (not live before a success), or, when
//    directord adopts a running table, present with its weight (a restart touches nothing).
//  - Quorum: while the live weight is below `quorum` (entering needs quorum + hysteresis,
//    leaving quorum - hysteresis) the sorry server, if any, is added.
//  - A service tied to a VRRP instance is in the table only while that instance is MASTER.
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/ipvs/table.hpp"

namespace directord::ipvs {

// One configured virtual server, as the table needs it.
struct Pool {
    struct Member {
        std::string name;  // "address:port", as the health checker names it
        Destination destination;
        bool assumed_up = true;  // unchecked, or `initial: up`; else unknown till a result
    };
    std::string name;
    std::string vrrp_instance;
    Service service;
    std::vector<Member> members;
    bool inhibit = false;
    std::optional<Destination> sorry;
    unsigned quorum = 1;
    unsigned hysteresis = 0;
};

Pool pool_of(const config::VirtualServer& vs);

class DesiredState {
  public:
    // New pools; checked members start unknown, unchecked ones up.
    void configure(std::vector<Pool> pools);
    // Return whether anything changed.
    bool set_health(const std::string& pool, const std::string& member, bool up);
    bool set_role(const std::string& instance, bool master);

    // The table now; members still unknown are kept as `kernel` has them. Quorum changes since
    // the last call are appended to `events` as log lines.
    Table table(const Table& kernel = {}, std::vector<std::string>* events = nullptr);
    // Every service key of the configured pools (tied to an instance or not).
    std::vector<ServiceKey> keys() const;

  private:
    std::vector<Pool> pools_;
    enum Health : char { down, up, unknown };
    std::vector<std::vector<Health>> health_;  // per pool, per member
    std::vector<char> quorum_;                 // per pool: quorum held at the last table()
    std::unordered_map<std::string, std::size_t> pool_index_;
    std::vector<std::unordered_map<std::string, std::size_t>> member_index_;
    std::map<std::string, bool> master_;
};

}  // namespace directord::ipvs
