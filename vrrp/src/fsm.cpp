#include "directord/vrrp/fsm.hpp"

#include <fmt/format.h>

namespace directord::vrrp {

std::string_view to_string(State state) {
    switch (state) {
        case State::initialize:
            return "INIT";
        case State::backup:
            return "BACKUP";
        case State::master:
            return "MASTER";
        case State::fault:
            return "FAULT";
    }
    return "?";
}

Fsm::Fsm(FsmParams params)
    : params_(std::move(params)), master_advert_interval_(params_.advert_interval) {}

void Fsm::update(const FsmParams& params) {
    bool interval_changed = params.advert_interval != params_.advert_interval;
    auto priority = params_.priority;  // effective priority changes only through set_priority()
    params_ = params;
    params_.priority = priority;
    if (interval_changed) master_advert_interval_ = params_.advert_interval;
}

std::chrono::microseconds Fsm::skew_time() const {
    // RFC 3768: (256 - Priority) / 256 s. RFC 5798: ((256 - Priority) * Master_Adver_Interval) /
    // 256.
    auto base = params_.version == 2 ? std::chrono::microseconds(std::chrono::seconds(1))
                                     : master_advert_interval_;
    return base * (256 - params_.priority) / 256;
}

std::chrono::microseconds Fsm::master_down_interval() const {
    return 3 * master_advert_interval_ + skew_time();
}

std::optional<TimePoint> Fsm::next_deadline() const {
    switch (state_) {
        case State::backup:
            return master_down_at_;
        case State::master:
            return advert_at_;
        default:
            return std::nullopt;
    }
}

void Fsm::transition(State to, std::string reason, Actions& out) {
    out.push_back(action::Transition{state_, to, std::move(reason)});
    state_ = to;
}

void Fsm::become_master(TimePoint now, std::string reason, Actions& out) {
    // Advert first (the peer must stand down), then the addresses, then the announcements.
    out.push_back(action::SendAdvert{params_.priority});
    out.push_back(action::AddVips{});
    advert_at_ = now + params_.advert_interval;
    master_address_.reset();
    lower_master_since_.reset();
    reannounced_at_ = now;  // the take-over's own announcement; no second one right after
    transition(State::master, std::move(reason), out);
    out.push_back(action::Announce{});
}

void Fsm::leave_master(std::uint8_t advert_priority, Actions& out) {
    if (state_ != State::master) return;
    if (advert_priority == 0) out.push_back(action::SendAdvert{0});
    out.push_back(action::RemoveVips{});
}

void Fsm::become_backup(TimePoint now, std::string reason, Actions& out) {
    master_down_at_ = now + master_down_interval();
    master_heard_ = false;
    lower_master_since_.reset();
    takeover_reason_ = "no master seen";
    transition(State::backup, std::move(reason), out);
}

Actions Fsm::start(TimePoint now) {
    Actions out;
    if (state_ != State::initialize) return out;
    if (params_.priority == 255 && !hold_) {
        become_master(now, "address owner (priority 255)", out);
    } else {
        // Also on start: release any VIP a previous run may have left behind.
        out.push_back(action::RemoveVips{});
        become_backup(now, "startup", out);
    }
    return out;
}

Actions Fsm::on_advert(TimePoint now, std::uint8_t priority, std::chrono::microseconds interval,
                       const IpAddress& source) {
    Actions out;
    if (state_ == State::backup) {
        if (priority == 0) {
            // The master resigned: take over after skew time only.
            master_down_at_ = now + skew_time();
            master_heard_ = false;
            takeover_reason_ = fmt::format("master {} resigned (priority 0)", source.to_string());
            return out;
        }
        bool lower = priority < params_.priority ||
                     (priority == params_.priority && source < params_.primary_address);
        if (!lower) {
            lower_master_since_.reset();
        } else if (params_.preempt && hold_) {
            // Held back by our sync group, a master we would preempt is still not one we
            // follow: counting it would hold the group back in turn, and two held members
            // could keep each other from ever taking over.
            return out;
        } else if (params_.preempt) {
            if (!lower_master_since_) lower_master_since_ = now;
            // Tolerated while the preempt delay runs; afterwards discarded without re-arming,
            // so we take over at master-down (RFC 5798 §6.4.2).
            if (now - *lower_master_since_ >= params_.preempt_delay) {
                ++lower_discarded_;
                takeover_reason_ =
                    priority < params_.priority
                        ? fmt::format("preempting {} (priority {} < {})", source.to_string(),
                                      priority, params_.priority)
                        : fmt::format("preempting {} (equal priority {}, lower address)",
                                      source.to_string(), priority);
                return out;
            }
        }
        if (params_.version == 3) master_advert_interval_ = interval;
        master_down_at_ = now + master_down_interval();
        master_heard_ = true;
        master_address_ = source;
        takeover_reason_ = fmt::format("master {} down", source.to_string());
        return out;
    }
    if (state_ == State::master) {
        if (priority == 0) {
            if (may_answer(now)) {
                out.push_back(action::SendAdvert{params_.priority});
                advert_at_ = now + params_.advert_interval;
            }
            return out;
        }
        bool higher = priority > params_.priority ||
                      (priority == params_.priority && params_.primary_address < source);
        if (higher) {
            // Two masters: a partition healed, or a better router preempts us. One last advert
            // at our priority (not in RFC 5798, harmless to it) lets the winner know clients
            // may have followed us, so it announces its VIPs again even when it would never
            // have heard a regular advert of ours before we stepped down.
            out.push_back(action::SendAdvert{params_.priority});
            leave_master(params_.priority, out);
            if (params_.version == 3) master_advert_interval_ = interval;
            become_backup(
                now, fmt::format("higher priority {} from {}", priority, source.to_string()), out);
            master_heard_ = true;
            master_address_ = source;
            takeover_reason_ = fmt::format("master {} down", source.to_string());
        } else {
            // Another master with lower priority (e.g. after a partition heals): assert ourselves
            // now instead of letting both hold the VIP until our next tick, and announce the
            // VIPs again: clients' ARP caches may point at the other master (keepalived's
            // vrrp_garp_lower_prio_repeat). At most one announcement per second.
            if (may_answer(now)) out.push_back(action::SendAdvert{params_.priority});
            if (!reannounced_at_ || now - *reannounced_at_ >= kReannounceSpacing) {
                reannounced_at_ = now;
                out.push_back(action::Announce{});
            }
        }
    }
    return out;
}

// Answers to adverts are rate-limited: a flood of valid lower-priority or priority-0 adverts
// must not be reflected one for one.
bool Fsm::may_answer(TimePoint now) {
    if (answered_at_ && now - *answered_at_ < params_.advert_interval / 4) {
        ++answers_limited_;
        return false;
    }
    answered_at_ = now;
    return true;
}

Actions Fsm::on_timer(TimePoint now) {
    Actions out;
    if (state_ == State::backup && now >= master_down_at_) {
        if (hold_) {
            // Silent for a whole master-down interval: whoever we followed is gone, so we no
            // longer hold the rest of our sync group back.
            master_down_at_ = now + master_down_interval();
            master_heard_ = false;
        } else {
            become_master(now, takeover_reason_, out);
        }
    } else if (state_ == State::master && now >= advert_at_) {
        out.push_back(action::SendAdvert{params_.priority});
        advert_at_ += params_.advert_interval;
        // After a stall do not burst to catch up: resume the period from now.
        if (advert_at_ <= now) advert_at_ = now + params_.advert_interval;
    }
    return out;
}

Actions Fsm::set_priority(TimePoint /*now*/, std::uint8_t priority) {
    Actions out;
    if (priority == params_.priority) return out;
    params_.priority = priority;
    if (state_ == State::master) out.push_back(action::SendAdvert{priority});
    return out;
}

Actions Fsm::set_fault(TimePoint now, bool fault, const std::string& reason) {
    Actions out;
    if (fault && state_ != State::fault && state_ != State::initialize) {
        leave_master(0, out);
        transition(State::fault, reason, out);
    } else if (!fault && state_ == State::fault) {
        if (params_.priority == 255 && !hold_)
            become_master(now, reason, out);
        else
            become_backup(now, reason, out);
    }
    return out;
}

Actions Fsm::set_hold(TimePoint now, bool hold, const std::string& reason) {
    Actions out;
    hold_ = hold;
    if (hold && state_ == State::master) {
        leave_master(0, out);
        become_backup(now, reason, out);
    }
    return out;
}

Actions Fsm::force_master(TimePoint now, const std::string& reason) {
    Actions out;
    if (state_ == State::backup && !hold_) become_master(now, reason, out);
    return out;
}

Actions Fsm::shutdown(TimePoint /*now*/) {
    Actions out;
    if (state_ == State::initialize) return out;
    leave_master(0, out);
    transition(State::initialize, "shutdown", out);
    return out;
}

}  // namespace directord::vrrp
