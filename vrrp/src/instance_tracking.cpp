// What the instance's priority and FAULT depend on: its tracked scripts, interfaces, files and
// checks, and what the engine imposes (maintenance, sync group). The decision itself is
// assess_standing(); this file keeps the signals current and applies the result.
#include <fmt/format.h>

#include <algorithm>

#include "directord/healthcheck/file_watch.hpp"
#include "directord/vrrp/instance.hpp"

namespace directord::vrrp {

void Instance::build_trackers() {
    standing_.signals.clear();
    auto watch_link = [this](const std::string& interface, int weight) {
        std::size_t index = standing_.signals.size();
        standing_.signals.push_back(TrackedSignal{
            "interface " + interface, weight, !services_.host.read_interface(interface).running});
        link_subscriptions_.push_back(
            services_.host.watch_interface(interface, [this, index](const InterfaceInfo& info) {
                update_signal(index, !info.running,
                              !info.exists() ? "missing"
                              : info.running ? "link up"
                                             : "link down");
            }));
    };
    for (const auto& t : cfg_.track_interfaces) watch_link(t.name, t.weight);
    for (const auto& t : cfg_.track_files) {
        std::size_t index = standing_.signals.size();
        standing_.signals.push_back(
            TrackedSignal{"file " + t.path, t.weight, healthcheck::FileWatch::exists(t.path)});
        file_watches_.push_back(services_.files.watch(t.path, [this, index](bool exists) {
            update_signal(index, exists, exists ? "created" : "removed");
        }));
    }
    first_check_signal_ = standing_.signals.size();
    for (const auto& t : cfg_.track_checks) {
        standing_.signals.push_back(TrackedSignal{"check " + t.name, t.weight, false});
        // Counted healthy until its first result, which is asked for at once and decides the
        // state directly (rise/fall apply afterwards): no FAULT flap at start, no late verdict.
        auto check = std::make_shared<config::Check>(t.check);
        check->initially_up = true;
        checks_.push_back(std::make_unique<healthcheck::Monitor>(
            static_cast<healthcheck::Monitor::Owner&>(*this), std::move(check),
            boost::asio::ip::tcp::endpoint(t.address, t.port)));
        checks_.back()->start(healthcheck::Monitor::Clock::now());
    }
    for (const auto& t : cfg_.track_scripts) {
        std::size_t index = standing_.signals.size();
        standing_.signals.push_back(TrackedSignal{"script " + t.name, t.weight, false});
        scripts_.push_back(std::make_unique<TrackScript>(
            services_.io, cfg_.name, t,
            [this, index](bool up, const std::string& why) { update_signal(index, !up, why); }));
        scripts_.back()->start();
    }
}

void Instance::on_change(const healthcheck::Monitor& check) {
    auto it = std::find_if(checks_.begin(), checks_.end(),
                           [&](const auto& c) { return c.get() == &check; });
    update_signal(first_check_signal_ + static_cast<std::size_t>(it - checks_.begin()), !check.up(),
                  check.last_reason());
}

void Instance::drop_trackers() {
    for (int id : link_subscriptions_) services_.host.unwatch_interface(id);
    for (int id : file_watches_) services_.files.unwatch(id);
    link_subscriptions_.clear();
    file_watches_.clear();
    scripts_.clear();
    checks_.clear();
}

void Instance::update_signal(std::size_t index, bool failing, const std::string& why) {
    auto& s = standing_.signals.at(index);
    if (s.failing == failing) return;
    s.failing = failing;
    log::info("{}: {} {} ({})", cfg_.name, s.what, failing ? "failing" : "ok", why);
    auto before = snapshot();
    recompute();
    report_change(before);
}

void Instance::set_external_fault(const std::string& key,
                                  const std::optional<std::string>& reason) {
    auto it = standing_.external_faults.find(key);
    if (reason ? (it != standing_.external_faults.end() && it->second == *reason)
               : it == standing_.external_faults.end())
        return;
    if (reason)
        standing_.external_faults[key] = *reason;
    else
        standing_.external_faults.erase(key);
    auto before = snapshot();
    recompute();
    report_change(before);
}

void Instance::set_group_weight(int weight) {
    if (weight == standing_.group_weight) return;
    standing_.group_weight = weight;
    auto before = snapshot();
    recompute();
    report_change(before);
}

void Instance::hold(bool on, const std::string& reason) {
    auto before = snapshot();
    perform(fsm_.set_hold(Clock::now(), on, reason));
    report_change(before);
}

void Instance::force_master(const std::string& reason) {
    auto before = snapshot();
    perform(fsm_.force_master(Clock::now(), reason));
    report_change(before);
}

}  // namespace directord::vrrp
