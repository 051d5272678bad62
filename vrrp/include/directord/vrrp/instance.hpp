#pragma once
// One VRRP instance on the event loop: the pure Fsm plus its timer, adverts out,
// adverts in (after the receive checks), VIPs, gratuitous ARP, tracking and notify.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/healthcheck/hook_queue.hpp"
#include "directord/healthcheck/monitor.hpp"
#include "directord/healthcheck/process.hpp"
#include "directord/log.hpp"
#include "directord/vrrp/fsm.hpp"
#include "directord/vrrp/host.hpp"
#include "directord/vrrp/host_view.hpp"
#include "directord/vrrp/standing.hpp"
#include "directord/vrrp/track_script.hpp"

namespace directord::healthcheck {
class FileWatch;
}

namespace directord::vrrp {

// What every instance shares: the loop and the kernel-facing services.
struct Services {
    boost::asio::io_context& io;
    Host& host;
    healthcheck::FileWatch& files;
    healthcheck::Scheduler& checks;
    const std::vector<config::IpAddress>& managed_addresses;  // every instance's VIPs
};

struct InstanceCounters {
    unsigned long adverts_sent = 0;
    unsigned long adverts_received = 0;
    unsigned long transitions = 0;
    unsigned long became_master = 0;
    unsigned long vips_restored = 0;  // removed by something else while MASTER: put back
    unsigned long stray_vips = 0;     // found on the interface while not MASTER
    DropCounters drops{};
};

// What status and metrics show of an instance, as a value.
struct InstanceStatus {
    std::string name;
    std::string interface;
    std::uint8_t vrid = 0;
    int version = 0;
    State state = State::initialize;
    std::uint8_t priority = 0;       // effective
    std::uint8_t base_priority = 0;  // configured
    std::vector<std::string> reasons;
    InstanceCounters counters;
    unsigned long answers_limited = 0;
    unsigned long lower_priority_ignored = 0;
};

class Instance : private healthcheck::Monitor::Owner {
  public:
    // Called after any event that changed what a sync group depends on (see Snapshot).
    using ChangeHandler = std::function<void(Instance&)>;
    // Called on every state change, after its log line (the event stream).
    using TransitionHandler = std::function<void(const Instance&, const action::Transition&)>;

    Instance(Services services, config::Instance cfg, ChangeHandler on_change,
             TransitionHandler on_transition = {});
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    void start();
    // Graceful: priority-0 advert if MASTER, VIPs removed.
    void shutdown();
    // A notify hook is queued or running (a stop waits for the last transition's hook).
    bool notifying() const { return notify_.busy(); }
    // Whether `next` can be applied in place (same interface, VRID and version); else recreate.
    bool can_reconfigure(const config::Instance& next) const;
    void reconfigure(const config::Instance& next);

    // Faults set from outside (maintenance file, sync group); std::nullopt clears.
    void set_external_fault(const std::string& key, const std::optional<std::string>& reason);
    // Sync groups: the weights of the other members' tracking, so the group keeps one priority.
    void set_group_weight(int weight);
    void hold(bool on, const std::string& reason);
    void force_master(const std::string& reason);

    const std::string& name() const { return cfg_.name; }
    const config::Instance& config() const { return cfg_; }
    State state() const { return fsm_.state(); }
    bool following_master() const { return fsm_.following_master(); }
    // FAULT for a reason of its own (not one pushed onto it by its sync group).
    bool own_fault() const;
    // The sum of this instance's own tracking weights now in effect.
    int own_weight() const { return own_weight_; }
    std::uint8_t effective_priority() const { return fsm_.priority(); }
    unsigned long answers_limited() const { return fsm_.answers_limited(); }
    unsigned long lower_priority_ignored() const { return fsm_.lower_discarded(); }
    const InstanceCounters& counters() const { return counters_; }
    // Why the priority and state are what they are: each tracked signal in effect and each
    // fault ("script chk_proxy failing (-20)", "file /etc/down present: FAULT").
    std::vector<std::string> reasons() const;
    InstanceStatus status() const;
    // Sends the gratuitous ARP schedule again now; false unless MASTER.
    bool announce();

  private:
    void perform(const Actions& actions);
    void send_advert(std::uint8_t priority);
    void add_vips();
    void remove_vips(const std::vector<config::Vip>& vips);
    // Counts the request as pending: host events are judged only once our own changes are in.
    Host::AddressDone address_request_done();
    void on_interface(const InterfaceInfo& now);
    HostAssessment assess(const InterfaceInfo& now, bool master) const;
    void bind_interface();
    // A VIP of ours changed by another program: put back (MASTER), removed or reported.
    void foreign_change(const config::Vip& vip, bool removed_while_master);
    std::string debounced_host_fault(const std::string& fault, const InterfaceInfo& before,
                                     const InterfaceInfo& now);
    void on_transition(const action::Transition& t);
    void on_advert(const Received& packet);
    void arm_timer();
    void build_trackers();
    void drop_trackers();
    void update_signal(std::size_t index, bool failing, const std::string& why);
    void on_change(const healthcheck::Monitor& check) override;
    void recompute();
    FsmParams fsm_params() const;
    // What received adverts are checked against; rebuilt when the configuration changes.
    void refresh_expectation();
    std::vector<config::IpAddress> held_addresses() const;
    void notify(State from, State to);
    // What a sync group reacts to; a change of any of it is reported to the engine.
    struct Snapshot {
        State state;
        bool following_master;
        int own_weight;
        bool own_fault;
        bool operator==(const Snapshot&) const = default;
    };
    Snapshot snapshot() const;
    void report_change(const Snapshot& before);

    Services services_;
    config::Instance cfg_;
    ChangeHandler on_change_;
    TransitionHandler on_transition_;
    std::shared_ptr<AdvertChannel> socket_;  // nullptr while the interface is missing
    InterfaceInfo interface_;                // as last assessed
    int interface_watch_ = -1;
    unsigned pending_address_requests_ = 0;
    std::string host_fault_;               // "interface eth1 missing", ...; empty when none
    std::optional<TimePoint> link_up_at_;  // when the link last came up (link_up_delay)
    boost::asio::steady_timer link_timer_;
    config::IpAddress primary_;
    std::unique_ptr<Announcer> announcer_;
    Fsm fsm_;
    boost::asio::steady_timer timer_;
    bool timer_waiting_ = false;
    InstanceCounters counters_;
    Expectation expected_;
    log::RateLimiters drop_log_{static_cast<std::size_t>(DropReason::count_),
                                std::chrono::seconds(10)};  // per reason
    log::RateLimiter other_master_log_{std::chrono::seconds(10)};
    log::RateLimiter foreign_change_log_{std::chrono::seconds(10)};
    log::RateLimiter lower_master_log_{std::chrono::seconds(10)};

    // Tracked signals, host fault, external faults and group weight: what decides priority
    // and FAULT (assess_standing).
    StandingInputs standing_;
    std::vector<std::unique_ptr<TrackScript>> scripts_;
    std::vector<std::unique_ptr<healthcheck::Monitor>> checks_;
    std::size_t first_check_signal_ = 0;  // signals_[first_check_signal_ + i] is checks_[i]
    std::vector<int> link_subscriptions_;
    std::vector<int> file_watches_;
    std::string own_fault_reason_;
    int own_weight_ = 0;

    healthcheck::HookQueue notify_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted work
};

}  // namespace directord::vrrp
