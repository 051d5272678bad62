#include "directord/vrrp/instance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "directord/healthcheck/file_watch.hpp"
#include "directord/io_error.hpp"
#include "directord/vrrp/addresses.hpp"

namespace directord::vrrp {
namespace {

std::vector<config::IpAddress> vip_addresses(const config::Instance& cfg) {
    std::vector<config::IpAddress> out;
    for (const auto& vip : cfg.vips) out.push_back(vip.address);
    return out;
}

bool is_peer_misconfiguration(DropReason reason) {
    return reason == DropReason::auth_type_mismatch || reason == DropReason::auth_mismatch ||
           reason == DropReason::interval_mismatch || reason == DropReason::address_mismatch ||
           reason == DropReason::version_mismatch;
}

}  // namespace

Instance::Instance(Services services, config::Instance cfg, ChangeHandler on_change,
                   TransitionHandler on_transition)
    : healthcheck::Monitor::Owner(services.checks),
      services_(std::move(services)),
      cfg_(std::move(cfg)),
      on_change_(std::move(on_change)),
      on_transition_(std::move(on_transition)),
      link_timer_(services_.io),
      fsm_(FsmParams{}),
      timer_(services_.io),
      notify_(services_.io, cfg_.name) {
    announcer_ = services_.host.announcer(cfg_.name, cfg_.interface);
    auto now = services_.host.read_interface(cfg_.interface);
    auto assessment = assess(now, false);
    interface_ = now;
    standing_.host_fault = assessment.fault;
    primary_ = assessment.primary;
    if (assessment.rebind) bind_interface();
    fsm_ = Fsm(fsm_params());
    refresh_expectation();
    interface_watch_ = services_.host.watch_interface(
        cfg_.interface, [this](const InterfaceInfo& info) { on_interface(info); });
}

Instance::~Instance() {
    services_.host.unwatch_interface(interface_watch_);
    if (socket_) socket_->unsubscribe(cfg_.vrid);
    drop_trackers();
}

FsmParams Instance::fsm_params() const {
    return FsmParams{cfg_.version, cfg_.advert_interval, cfg_.priority,
                     cfg_.preempt, cfg_.preempt_delay,   primary_};
}

void Instance::refresh_expectation() {
    expected_ = Expectation{cfg_.version, cfg_.auth,
                            static_cast<std::uint16_t>(cfg_.advert_interval.count() / 10000),
                            vip_addresses(cfg_)};
}

std::vector<config::IpAddress> Instance::held_addresses() const {
    std::vector<config::IpAddress> out;
    for (const auto& vip : cfg_.held_vips()) out.push_back(vip.address);
    return out;
}

void Instance::start() {
    log::info("{}: starting on {} (VRID {}, VRRPv{}, priority {}, advert every {}{}){}", cfg_.name,
              cfg_.interface, cfg_.vrid, cfg_.version, cfg_.priority,
              format_duration(cfg_.advert_interval), cfg_.unicast_peers.empty() ? "" : ", unicast",
              standing_.host_fault.empty()
                  ? ""
                  : fmt::format(": {}, FAULT until it is", standing_.host_fault) +
                        (interface_.exists() ? " fixed" : " created"));
    build_trackers();
    auto before = snapshot();
    perform(fsm_.start(Clock::now()));
    recompute();
    report_change(before);
}

void Instance::shutdown() {
    drop_trackers();
    perform(fsm_.shutdown(Clock::now()));
}

bool Instance::can_reconfigure(const config::Instance& next) const {
    return next.interface == cfg_.interface && next.vrid == cfg_.vrid &&
           next.version == cfg_.version;
}

void Instance::reconfigure(const config::Instance& next) {
    if (next == cfg_) return;
    auto before = snapshot();
    config::Instance old = std::exchange(cfg_, next);
    refresh_expectation();
    log::info("{}: configuration changed, applying in place", cfg_.name);
    fsm_.update(fsm_params());
    auto held = cfg_.held_vips();
    if (fsm_.state() == State::master && old.held_vips() != held) {
        std::vector<config::Vip> gone;
        for (const auto& vip : old.held_vips())
            if (std::find(held.begin(), held.end(), vip) == held.end()) gone.push_back(vip);
        remove_vips(gone);
        add_vips();
        announcer_->start(held_addresses(), cfg_.garp);
        send_advert(fsm_.priority());
    }
    if (old.track_scripts != cfg_.track_scripts || old.track_interfaces != cfg_.track_interfaces ||
        old.track_files != cfg_.track_files || old.track_checks != cfg_.track_checks) {
        drop_trackers();
        build_trackers();
    }
    recompute();
    arm_timer();
    report_change(before);
}

bool Instance::own_fault() const { return !own_fault_reason_.empty(); }

std::vector<std::string> Instance::reasons() const { return describe_standing(standing_); }

InstanceStatus Instance::status() const {
    return {cfg_.name,
            cfg_.interface,
            cfg_.vrid,
            cfg_.version,
            state(),
            fsm_.priority(),
            cfg_.priority,
            reasons(),
            counters_,
            fsm_.answers_limited(),
            fsm_.lower_discarded()};
}

bool Instance::announce() {
    if (fsm_.state() != State::master) return false;
    log::info("{}: announcing the VIPs on request", cfg_.name);
    announcer_->start(held_addresses(), cfg_.garp);
    return true;
}

void Instance::recompute() {
    standing_.base_priority = cfg_.priority;
    auto standing = assess_standing(standing_);
    own_fault_reason_ = standing.own_fault;
    own_weight_ = standing.own_weight;
    auto now = Clock::now();
    if (standing.priority != fsm_.priority()) {
        log::info("{}: effective priority {} -> {} (base {}{}{})", cfg_.name, fsm_.priority(),
                  standing.priority, cfg_.priority, standing.weights.empty() ? "" : ": ",
                  standing.weights);
        perform(fsm_.set_priority(now, standing.priority));
    }
    perform(fsm_.set_fault(now, !standing.fault.empty(),
                           standing.fault.empty() ? "fault cleared" : standing.fault));
}

Instance::Snapshot Instance::snapshot() const {
    return Snapshot{fsm_.state(), fsm_.following_master(), own_weight_, own_fault()};
}

void Instance::report_change(const Snapshot& before) {
    if (snapshot() != before && on_change_) on_change_(*this);
}

void Instance::on_advert(const Received& packet) {
    ++counters_.adverts_received;
    std::optional<DropReason> drop;
    const auto& peers = cfg_.unicast_peers;
    if (!peers.empty() && std::find(peers.begin(), peers.end(), packet.source) == peers.end())
        drop = DropReason::not_a_peer;
    else
        drop = check_against(packet.advert, expected_);
    auto now = Clock::now();
    if (drop) {
        ++counters_.drops[static_cast<std::size_t>(*drop)];
        unsigned long suppressed = 0;
        if (!drop_log_.allow(static_cast<std::size_t>(*drop), now, suppressed)) return;
        if (fsm_.state() == State::master && is_peer_misconfiguration(*drop))
            // keepalived goes quiet here and both nodes end up holding the VIP; we keep
            // advertising.
            log::error(
                "{}: MISCONFIGURED PEER {} on VRID {}: {} - its adverts are rejected, we stay "
                "MASTER and keep "
                "advertising; fix the peer ({} similar suppressed)",
                cfg_.name, packet.source.to_string(), cfg_.vrid, to_string(*drop), suppressed);
        else
            log::warning("{}: dropped advert from {}: {} ({} similar suppressed)", cfg_.name,
                         packet.source.to_string(), to_string(*drop), suppressed);
        return;
    }
    if (packet.source == primary_) return;  // our own, looped back
    if (fsm_.state() == State::master && packet.advert.priority != 0 &&
        packet.advert.priority < fsm_.priority()) {
        unsigned long suppressed = 0;
        if (other_master_log_.allow(now, suppressed))
            log::warning(
                "{}: another MASTER {} (priority {}) on VRID {}: asserting ours ({}) with "
                "an advert and gratuitous ARPs",
                cfg_.name, packet.source.to_string(), packet.advert.priority, cfg_.vrid,
                fsm_.priority());
    }
    auto before = snapshot();
    auto discarded_before = fsm_.lower_discarded();
    perform(fsm_.on_advert(now, packet.advert.priority,
                           std::chrono::microseconds(packet.advert.interval_cs * 10000LL),
                           packet.source));
    unsigned long suppressed = 0;
    if (fsm_.lower_discarded() != discarded_before && lower_master_log_.allow(now, suppressed))
        log::info(
            "{}: ignoring adverts of lower-priority master {} (priority {}, ours {}): preempting "
            "it "
            "({} similar suppressed)",
            cfg_.name, packet.source.to_string(), packet.advert.priority, fsm_.priority(),
            suppressed);
    report_change(before);
}

void Instance::arm_timer() {
    auto deadline = fsm_.next_deadline();
    if (!deadline) {
        timer_.cancel();
        timer_waiting_ = false;
        return;
    }
    if (timer_waiting_ && timer_.expiry() == *deadline) return;
    timer_.expires_at(*deadline);
    timer_waiting_ = true;
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        timer_waiting_ = false;
        auto before = snapshot();
        perform(fsm_.on_timer(Clock::now()));
        arm_timer();
        report_change(before);
    });
}

void Instance::perform(const Actions& actions) {
    for (const auto& a : actions) {
        std::visit(
            [this](const auto& act) {
                using T = std::decay_t<decltype(act)>;
                if constexpr (std::is_same_v<T, action::SendAdvert>)
                    send_advert(act.priority);
                else if constexpr (std::is_same_v<T, action::AddVips>)
                    add_vips();
                else if constexpr (std::is_same_v<T, action::RemoveVips>)
                    remove_vips(cfg_.held_vips());
                else if constexpr (std::is_same_v<T, action::Announce>)
                    announcer_->start(held_addresses(), cfg_.garp);
                else if constexpr (std::is_same_v<T, action::Transition>)
                    on_transition(act);
            },
            a);
    }
    arm_timer();
}

void Instance::send_advert(std::uint8_t priority) {
    // Nothing can leave an interface that is gone, down or without an address.
    if (!socket_ || !interface_.running || primary_.is_unspecified()) return;
    Advert advert;
    advert.version = cfg_.version;
    advert.vrid = cfg_.vrid;
    advert.priority = priority;
    advert.interval_cs = static_cast<std::uint16_t>(cfg_.advert_interval.count() / 10000);
    advert.auth_type = cfg_.auth.type;
    if (cfg_.auth.type == config::AuthType::pass)
        advert.auth_data = pass_auth_data(cfg_.auth.password);
    advert.addresses = expected_.addresses;
    auto send_to = [&](const config::IpAddress& destination) {
        if (socket_->send(advert, primary_, destination)) ++counters_.adverts_sent;
    };
    if (cfg_.unicast_peers.empty()) {
        static const config::IpAddress group_v4 = boost::asio::ip::make_address(kMulticastGroupV4);
        static const config::IpAddress group_v6 = boost::asio::ip::make_address(kMulticastGroupV6);
        send_to(cfg_.ipv6() ? group_v6 : group_v4);  // parsed once, not per advert
    } else {
        for (const auto& peer : cfg_.unicast_peers) send_to(peer);
    }
}

void Instance::add_vips() {
    for (const auto& vip : cfg_.held_vips())
        services_.host.add_address(interface_.index, cfg_.interface, vip, address_request_done());
}

void Instance::remove_vips(const std::vector<config::Vip>& vips) {
    for (const auto& vip : vips)
        services_.host.remove_address(interface_.index, cfg_.interface, vip,
                                      address_request_done());
}

void Instance::on_transition(const action::Transition& t) {
    ++counters_.transitions;
    if (t.to == State::master) ++counters_.became_master;
    if (t.from == State::master) announcer_->stop();
    const auto vrid = std::to_string(cfg_.vrid);
    log::info({.instance = cfg_.name, .vrid = vrid, .state = to_string(t.to), .reason = t.reason},
              "{}: entering {} state ({}; priority {})", cfg_.name, to_string(t.to), t.reason,
              fsm_.priority());
    if (on_transition_) on_transition_(*this, t);
    notify(t.from, t.to);
}

void Instance::notify(State from, State to) {
    if (cfg_.notify.empty()) return;
    notify_.push(
        cfg_.notify_as, cfg_.notify,
        {"DIRECTORD_INSTANCE=" + cfg_.name, "DIRECTORD_STATE=" + std::string(to_string(to)),
         "DIRECTORD_PREVIOUS_STATE=" + std::string(to_string(from)),
         fmt::format("DIRECTORD_PRIORITY={}", fsm_.priority())});
}

}  // namespace directord::vrrp
