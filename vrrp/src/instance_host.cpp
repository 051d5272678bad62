// The instance's side of host events: its interface created, deleted, re-created, going
// down, changing address or MAC, and VIPs of ours changed by someone else. What to do is
// decided by assess_host(); this file only carries it out and says what happened.
#include <fmt/format.h>

#include "directord/vrrp/addresses.hpp"
#include "directord/vrrp/instance.hpp"

namespace directord::vrrp {
namespace {

std::string mac_text(const MacAddress& mac) {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3],
                       mac[4], mac[5]);
}

}  // namespace

Host::AddressDone Instance::address_request_done() {
    ++pending_address_requests_;
    return [this, alive = std::weak_ptr<bool>(alive_)](const std::optional<std::string>& error) {
        if (!alive.lock()) return;
        if (error) log::error("{}: {}", cfg_.name, *error);
        // Our own changes are in: judge the interface as it is now.
        if (--pending_address_requests_ == 0)
            on_interface(services_.host.read_interface(cfg_.interface));
    };
}

void Instance::bind_interface() {
    if (socket_) socket_->unsubscribe(cfg_.vrid);
    socket_ = services_.host.channel(cfg_.interface, interface_.index, cfg_.ipv6());
    if (socket_)
        socket_->subscribe(cfg_.vrid, [this](const Received& packet) { on_advert(packet); });
    announcer_->rebind(interface_.index, interface_.mac);
}

void Instance::foreign_change(const config::Vip& vip, bool removed_while_master) {
    bool undo = removed_while_master || cfg_.remove_stray_vips;
    ++(removed_while_master ? counters_.vips_restored : counters_.stray_vips);
    unsigned long suppressed = 0;
    if (foreign_change_log_.allow(Clock::now(), suppressed))
        log::warning(
            "{}: VIP {} {}: {} ({} similar suppressed)", cfg_.name, describe(vip),
            removed_while_master
                ? fmt::format("was removed from {} by another program while MASTER", cfg_.interface)
                : fmt::format("is on {} while {} (added by another program)", cfg_.interface,
                              to_string(fsm_.state())),
            removed_while_master ? "adding it back"
            : undo               ? "removing it"
                                 : "left in place (stray_vips: warn)",
            suppressed);
    if (!undo) return;
    if (removed_while_master)
        services_.host.add_address(interface_.index, cfg_.interface, vip, address_request_done());
    else
        services_.host.remove_address(interface_.index, cfg_.interface, vip,
                                      address_request_done());
}

// With link_up_delay, a link that came back stays a fault until it has been up that long.
std::string Instance::debounced_host_fault(const std::string& fault, const InterfaceInfo& before,
                                           const InterfaceInfo& now) {
    if (now.running && !before.running) {
        link_up_at_ = Clock::now();
        if (cfg_.link_up_delay.count() > 0 && fault.empty())
            log::info("{}: interface {} up again, waiting {} for it to stay up", cfg_.name,
                      cfg_.interface, format_duration(cfg_.link_up_delay));
    }
    if (!fault.empty() || cfg_.link_up_delay.count() == 0 || !link_up_at_) return fault;
    auto stable_at = *link_up_at_ + cfg_.link_up_delay;
    if (Clock::now() >= stable_at) return fault;
    link_timer_.expires_at(stable_at);
    link_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) on_interface(services_.host.read_interface(cfg_.interface));
    });
    return fmt::format("interface {} up again, waiting {} for it to stay up", cfg_.interface,
                       format_duration(cfg_.link_up_delay));
}

HostAssessment Instance::assess(const InterfaceInfo& now, bool master) const {
    return assess_host(cfg_.interface, interface_, now, cfg_.held_vips(), master,
                       advert_source(cfg_), services_.managed_addresses);
}

void Instance::on_interface(const InterfaceInfo& now) {
    if (pending_address_requests_ > 0) return;  // judged when our own requests are answered
    bool master = fsm_.state() == State::master;
    auto assessment = assess(now, master);
    auto before = std::exchange(interface_, now);
    if (!now.exists() && before.exists()) {
        log::warning("{}: interface {} was deleted", cfg_.name, cfg_.interface);
        if (socket_) socket_->unsubscribe(cfg_.vrid);
        socket_.reset();
    }
    if (assessment.rebind) {
        log::info("{}: interface {} {} (index {}, MAC {})", cfg_.name, cfg_.interface,
                  before.exists() ? "was re-created" : "appeared", now.index, mac_text(now.mac));
        bind_interface();
        if (master) add_vips();  // a new interface holds none of them
    } else if (now.exists() && now.mac != before.mac) {
        log::info("{}: hardware address of {} changed {} -> {}", cfg_.name, cfg_.interface,
                  mac_text(before.mac), mac_text(now.mac));
        announcer_->rebind(now.index, now.mac);
    }
    if (assessment.primary != primary_) {
        if (!assessment.primary.is_unspecified())
            log::info("{}: adverts now leave from {} (primary address of {}{})", cfg_.name,
                      assessment.primary.to_string(), cfg_.interface,
                      primary_.is_unspecified() ? "" : ", was " + primary_.to_string());
        primary_ = assessment.primary;
        fsm_.update(fsm_params());
    }
    for (const auto& vip : assessment.restore) foreign_change(vip, true);
    for (const auto& vip : assessment.stray) foreign_change(vip, false);
    if (assessment.reannounce) announcer_->start(held_addresses(), cfg_.garp);
    auto fault = debounced_host_fault(assessment.fault, before, now);
    if (fault != standing_.host_fault) {
        auto snapshot_before = snapshot();
        standing_.host_fault = fault;
        recompute();
        report_change(snapshot_before);
    }
}

}  // namespace directord::vrrp
