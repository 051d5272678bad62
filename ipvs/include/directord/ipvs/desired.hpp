#pragma once
// What the kernel's table should hold, from the configuration, the health of every real
// server and the VRRP roles. Pure (no I/O, no clock): the programmer feeds it events and
// reconciles its table() against the kernel's.
//  - A real server is in its service while up; when down it is removed, or kept with weight
//    0 with `on_failure: inhibit` (its connections drain). Before its first check result a
//    checked server stays as the kernel has it: absent (not live before a success), or, when
//    directord adopts a running table, present with its weight (a restart touches nothing).
//  - Quorum: while the live weight is below `quorum` (entering needs quorum + hysteresis,
//    leaving quorum - hysteresis) the sorry server, if any, is added. Changes are told as
//    events; the start is not one (a pool whose first results leave it without quorum is).
//  - An announced virtual server's services (BGP tier) are ordered: every member is in them,
//    at weight 0 while not up (or not checked yet), sorted by address and port, so that every
//    director of the tier has the same destinations in the same order.
//  - A service tied to a VRRP instance is in the table only while that instance is MASTER.
//  - A file check's verdict (down, or a change of the configured weight, never below 0) is
//    applied on top of the member's check; forgotten by configure(), told again after it.
//  - An operator's weight (drain: 0) replaces a member's configured weight, whatever its
//    health; it is kept by name across configure() while the member stays configured.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/ipvs/table.hpp"

namespace directord::ipvs {

// A pool's quorum reached or lost; `text` is the log line.
struct QuorumChange {
    std::string pool;
    bool held = false;
    std::uint64_t live_weight = 0;
    unsigned quorum = 0;
    std::string text;
};

// One configured virtual server, as the table needs it.
struct Pool {
    struct Member {
        Destination destination;
        bool assumed_up = true;  // unchecked, or `initial: up`; else unknown till a result
        // "address:port", as the health checker names it: made when asked, not kept (tens of
        // thousands of members).
        std::string name() const { return describe(destination); }
    };
    std::string name;
    std::string vrrp_instance;
    std::vector<Service> services;  // one, or a group's: the same destinations in each
    std::vector<Member> members;
    bool inhibit = false;
    std::optional<Destination> sorry;
    unsigned quorum = 1;
    unsigned hysteresis = 0;
};

Pool pool_of(const config::VirtualServer& vs);

// Every configured virtual server as a Pool, with the indexes health events are looked up by.
// Built where the configuration is parsed: off the event loop, as thousands take a while.
class Pools {
  public:
    Pools() = default;
    explicit Pools(const config::Config& cfg);
    explicit Pools(std::vector<Pool> pools);

    const std::vector<Pool>& all() const { return pools_; }
    std::optional<std::size_t> find(const std::string& pool) const;
    std::optional<std::size_t> find_member(std::size_t pool, const std::string& member) const;
    // The member of `pool` at `address`:`port`, or none.
    std::optional<std::size_t> find_member(std::size_t pool, const config::IpAddress& address,
                                           std::uint16_t port) const;
    // Whether a health event's real server is one of these pools' members (pool i is
    // virtual_servers[i] of the configuration they were built from, member j its real_servers[j]).
    bool has(config::RealServerId id) const {
        return id.virtual_server < pools_.size() &&
               id.real_server < pools_[id.virtual_server].members.size();
    }

  private:
    std::vector<Pool> pools_;
    std::unordered_map<std::string, std::size_t> pool_index_;
    // Per pool, its members' indexes in the order of their addresses and ports: 4 bytes a
    // member where a hash map of names took some 70.
    std::vector<std::vector<std::uint32_t>> members_by_endpoint_;
};

class DesiredState {
  public:
    // New pools; checked members start unknown, unchecked ones up; operator weights of members
    // no longer configured are forgotten (appended to `forgotten` as "pool member" lines).
    // Returns the old ones, for the caller to free off the loop (tens of thousands of members
    // take a while).
    [[nodiscard]] Pools configure(Pools pools, std::vector<std::string>* forgotten = nullptr);
    // Return whether anything changed.
    bool set_health(config::RealServerId member, bool up);
    bool set_role(const std::string& instance, bool master);
    bool set_file_verdict(config::RealServerId member, bool down, std::int64_t weight_change);
    // An operator's weight for a configured member, or none to return to the configured one.
    // Returns false (nothing changed) for an unknown pool or member, or the same weight.
    bool set_operator_weight(const std::string& pool, const std::string& member,
                             std::optional<std::uint32_t> weight);
    // Every operator weight, by pool then member name (made when asked: for the state file).
    using OperatorWeights = std::map<std::string, std::map<std::string, std::uint32_t>>;
    OperatorWeights operator_weights() const;
    std::optional<std::uint32_t> operator_weight(std::size_t pool, std::size_t member) const;

    // What changed since the last update() or table(): the services of the pools touched by
    // events, or every service after configure().
    struct Update {
        bool whole = false;  // every configured service: compare with the whole kernel table
        std::vector<ServiceKey> scope;  // otherwise: the services concerned
        Table table;                    // those of them that should be in the kernel
    };
    // Members still unknown are kept as `kernel` has them. Quorum changes are appended to
    // `events`.
    Update update(const TableByKey& kernel, std::vector<QuorumChange>* events = nullptr);
    // The next update() is whole (the kernel's table was read again).
    void touch_all() { everything_touched_ = true; }
    // The whole table now.
    Table table(const TableByKey& kernel = {}, std::vector<QuorumChange>* events = nullptr);
    // Every service key of the configured pools (tied to an instance or not).
    std::vector<ServiceKey> keys() const;

    // For status and metrics.
    const Pools& pools() const { return pools_; }
    std::string_view health(std::size_t pool, std::size_t member) const;  // up, down, unknown
    std::string_view health(config::RealServerId member) const;  // also unknown: not a member
    std::string_view quorum(std::size_t pool) const;             // held, lost, undecided

  private:
    void build(std::size_t pool, const TableByKey& kernel, Table& table,
               std::vector<QuorumChange>* events);
    void touch(std::size_t pool);

    Pools pools_;
    enum Health : char { down, up, unknown };
    std::vector<std::vector<Health>> health_;  // per pool, per member
    enum class Quorum : char { undecided, lost, held };
    std::vector<Quorum> quorum_;  // per pool, at the last build
    std::map<std::string, bool> master_;
    // Operator weights per pool by member index, in member order: what build() and
    // operator_weight() read, so no member's name is made for them.
    using MemberWeight = std::pair<std::uint32_t, std::uint32_t>;
    std::vector<std::vector<MemberWeight>> weight_by_member_;
    // Where `member`'s weight is or would go in weight_by_member_[pool].
    std::size_t weight_slot(std::size_t pool, std::size_t member) const;
    struct FileVerdict {
        bool down = false;
        std::int64_t weight_change = 0;
    };
    std::map<std::pair<std::size_t, std::size_t>, FileVerdict> file_verdicts_;  // pool, member
    bool everything_touched_ = true;
    std::vector<char> touched_;  // per pool, since the last update
    std::vector<std::size_t> touched_pools_;
};

}  // namespace directord::ipvs
