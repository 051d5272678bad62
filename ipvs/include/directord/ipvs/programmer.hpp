#pragma once
// Keeps the kernel's IPVS table as the configuration, the checks and the VRRP roles want it.
// It reconciles against what it last programmed: the kernel is read at start-up (a matching
// table is adopted without touching a live entry) and again after a refusal, a part per turn
// of the loop. Changes are
// applied in slices of about 10 ms with a turn of the loop in between, so adverts keep leaving
// on time during a large reload. A reload that removes an announced virtual server leaves its
// service in the kernel for bgp.drain (DrainingServices). The connection-sync daemon runs as
// master while its instance is MASTER and as backup otherwise.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/ipvs/client.hpp"
#include "directord/ipvs/desired.hpp"
#include "directord/ipvs/draining.hpp"

namespace directord::ipvs {

// What status and metrics show of the IPVS side, as values.
struct IpvsStatus {
    bool available = false;
    std::size_t services = 0, destinations = 0;  // in the kernel, as programmed
    unsigned long reconciles = 0, changes_applied = 0, refusals = 0;
    std::string_view sync_daemon;  // master, backup, off
};
struct RealServerStatus {
    std::string name;          // "address:port"
    std::uint32_t weight = 0;  // configured
    std::optional<std::uint32_t> operator_weight;
    std::string_view health;              // up, down, unknown
    const Destination* kernel = nullptr;  // null: not in the kernel
};
struct PoolStatus {
    const Pool& pool;
    std::size_t services_in_kernel = 0;     // of pool.services
    std::string_view quorum;                // held, lost, undecided
    std::vector<RealServerStatus> members;  // real servers first, first + 1, ...
    std::size_t first = 0;
};

class Programmer {
  public:
    explicit Programmer(boost::asio::io_context& io);
    ~Programmer();
    Programmer(const Programmer&) = delete;
    Programmer& operator=(const Programmer&) = delete;

    // After a (re)load, with Pools(cfg) built off the loop; every real server starts as its
    // check says before a result, so feed the checker's current states with set_health() right
    // after. Returns the pools it held before, to be freed off the loop.
    [[nodiscard]] Pools apply(const config::Config& cfg, Pools pools);
    void set_health(config::RealServerId real_server, bool up);
    void set_role(const std::string& instance, bool master);
    void set_file_verdict(config::RealServerId real_server, bool down, std::int64_t weight_change);
    // An operator's weight (DesiredState::set_operator_weight); returns whether it changed.
    bool set_operator_weight(const std::string& virtual_server, const std::string& real_server,
                             std::optional<std::uint32_t> weight);
    // Told what the log says of quorum changes ("quorum") and of changes applied to the
    // kernel ("ipvs"): the event stream.
    using EventListener = std::function<void(std::string_view kind, const std::string& text)>;
    void on_event(EventListener listener) { listeners_.push_back(std::move(listener)); }
    using QuorumListener = std::function<void(const QuorumChange&)>;
    void on_quorum(QuorumListener listener) { quorum_listeners_.push_back(std::move(listener)); }
    // SIGTERM: with `ipvs.on_stop: remove`, removes the services it owns and stops the sync
    // daemon; otherwise leaves both, so traffic keeps flowing while directord restarts.
    void shutdown();
    void log_status() const;

    // For status and metrics: the totals, and each configured virtual server (0..pools()).
    IpvsStatus status() const;
    std::size_t pools() const { return desired_.pools().all().size(); }
    // Valid until the next turn of the loop (it refers to the table as it is now).
    // Its real servers [first, last) only: a large pool is shown in slices, each read afresh
    // (the kernel's table may change in between).
    PoolStatus pool_status(std::size_t pool, std::size_t first = 0,
                           std::size_t last = static_cast<std::size_t>(-1)) const;
    // The configured pools and operators' weights (drain, weight and the state file).
    const DesiredState& desired() const { return desired_; }
    // Changes with every apply(): work spread over turns of the loop starts again.
    unsigned long generation() const { return generation_; }

  private:
    void request();
    void run();
    void adopt();
    void read_slice();
    void diff();
    void compare_slice();
    void apply_slice();
    void finish();
    bool removable(const ServiceKey& key) const;
    void end_drains();
    void follow_sync_daemon();
    void apply_timeouts(const config::IpvsTimeouts& configured);
    void require_sloppy_for(const config::Config& cfg);
    std::string_view sync_daemon_role() const;                  // master, backup, off
    void tell(std::string_view kind, const std::string& text);  // logged and told

    boost::asio::io_context& io_;
    std::unique_ptr<Client> client_;  // null when the kernel has no IPVS
    struct Reading;
    std::unique_ptr<Reading> reading_;  // while the kernel's table is read
    std::string unavailable_;           // why there is no client, until told
    DesiredState desired_;
    TableByKey known_;              // the kernel's table as far as directord knows
    std::set<ServiceKey> managed_;  // services directord configured (this run)
    DesiredState::Update target_;   // what pending_ leads to
    Present present_;               // the part of known_ target_ is compared with
    std::optional<StepwiseReconcile> comparing_;
    std::vector<Change> pending_;
    std::size_t next_ = 0;
    std::size_t slice_ = 64;  // changes per turn, adapted to the kernel's pace
    std::chrono::steady_clock::time_point started_;  // of the changes under way
    bool adopted_ = false, requested_ = false, applying_ = false, dirty_ = false;
    bool remove_on_stop_ = false;
    bool remove_unmanaged_ = false;
    std::optional<config::SyncDaemon> sync_;
    std::optional<SyncDaemon> sync_running_;
    std::map<std::string, bool> roles_;
    std::vector<EventListener> listeners_;
    std::vector<QuorumListener> quorum_listeners_;
    boost::asio::steady_timer retry_;
    DrainingServices draining_;
    std::chrono::microseconds drain_{0};  // bgp.drain as applied
    boost::asio::steady_timer drain_timer_;
    unsigned long changes_applied_ = 0, refusals_ = 0, runs_ = 0, generation_ = 0;
};

}  // namespace directord::ipvs
