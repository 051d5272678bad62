#pragma once
// The VRRP state machine of RFC 5798 §6.4 / RFC 3768 §6.4 for one virtual router.
// Pure logic: no sockets, no clock of its own. Every input carries `now`; every
// call returns the actions the caller must perform, and next_deadline() says when
// on_timer() must be called next. Adverts are scheduled against absolute deadlines
// so the period does not drift.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::vrrp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using config::IpAddress;

enum class State { initialize, backup, master, fault };
std::string_view to_string(State state);

namespace action {
struct SendAdvert {
    std::uint8_t priority;
    bool operator==(const SendAdvert&) const = default;
};
struct AddVips {
    bool operator==(const AddVips&) const = default;
};
struct RemoveVips {
    bool operator==(const RemoveVips&) const = default;
};
// Gratuitous ARP / unsolicited NA for every VIP.
struct Announce {
    bool operator==(const Announce&) const = default;
};
struct Transition {
    State from;
    State to;
    std::string reason;
    bool operator==(const Transition&) const = default;
};
}  // namespace action

using Action = std::variant<action::SendAdvert, action::AddVips, action::RemoveVips,
                            action::Announce, action::Transition>;
using Actions = std::vector<Action>;

struct FsmParams {
    int version = 3;
    std::chrono::microseconds advert_interval = std::chrono::seconds(1);
    std::uint8_t priority = 100;  // effective priority; 255 = address owner
    bool preempt = true;
    std::chrono::microseconds preempt_delay{0};
    IpAddress primary_address;  // breaks priority ties (higher address wins)
};

class Fsm {
  public:
    explicit Fsm(FsmParams params);

    Actions start(TimePoint now);
    Actions on_advert(TimePoint now, std::uint8_t priority, std::chrono::microseconds interval,
                      const IpAddress& source);
    Actions on_timer(TimePoint now);
    // Effective priority changed (tracking). A master advertises it at once.
    Actions set_priority(TimePoint now, std::uint8_t priority);
    Actions set_fault(TimePoint now, bool fault, const std::string& reason);
    // Sync groups: a held instance never becomes (or stays) master.
    Actions set_hold(TimePoint now, bool hold, const std::string& reason);
    // Sync groups: another member took over, so this one does too.
    Actions force_master(TimePoint now, const std::string& reason);
    // Graceful stop: a master sends priority 0 so a backup takes over after skew time only.
    Actions shutdown(TimePoint now);
    // Settings that may change on reload without a restart (all but the priority).
    void update(const FsmParams& params);

    std::optional<TimePoint> next_deadline() const;
    State state() const { return state_; }
    std::uint8_t priority() const { return params_.priority; }
    // True while a backup hears a live master: what keeps a sync group's other members from
    // taking over on their own.
    bool following_master() const { return state_ == State::backup && master_heard_; }
    const std::optional<IpAddress>& master_address() const { return master_address_; }
    std::chrono::microseconds master_advert_interval() const { return master_advert_interval_; }
    std::chrono::microseconds skew_time() const;
    std::chrono::microseconds master_down_interval() const;
    // Answers a master did not send: at most one per quarter advert interval.
    unsigned long answers_limited() const { return answers_limited_; }
    // Adverts of a lower-priority master a preempting backup ignored (it takes over at
    // master-down).
    unsigned long lower_discarded() const { return lower_discarded_; }

  private:
    void become_master(TimePoint now, std::string reason, Actions& out);
    void become_backup(TimePoint now, std::string reason, Actions& out);
    void leave_master(std::uint8_t advert_priority, Actions& out);
    void transition(State to, std::string reason, Actions& out);
    bool may_answer(TimePoint now);

    FsmParams params_;
    State state_ = State::initialize;
    bool hold_ = false;
    bool master_heard_ = false;
    std::chrono::microseconds master_advert_interval_;
    std::optional<IpAddress> master_address_;
    TimePoint master_down_at_{};
    TimePoint advert_at_{};
    std::optional<TimePoint> lower_master_since_;  // preempt delay
    std::string takeover_reason_;                  // logged if master-down fires
    std::optional<TimePoint> answered_at_;         // last answer to another's advert
    std::optional<TimePoint> reannounced_at_;      // last GARPs against a lower-priority master
    static constexpr std::chrono::seconds kReannounceSpacing{1};
    unsigned long answers_limited_ = 0;
    unsigned long lower_discarded_ = 0;
};

}  // namespace directord::vrrp
