#include "events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace directord::daemon {
namespace {

using nlohmann::json;

std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    auto seconds = std::chrono::system_clock::to_time_t(now);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                  std::chrono::seconds(1);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:06}Z", text, micros.count());
}

}  // namespace

void EventStream::publish(json event) {
    if (sinks_.empty()) return;
    event["time"] = utc_now();
    // Replace, never throw: reasons carry text from servers and scripts.
    auto line = event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::erase_if(sinks_, [&](const auto& sink) { return !sink->write(line); });
}

json reload_event(const ReloadResult& result) {
    if (!result.errors.empty()) {
        json lines = json::array();
        for (const auto& e : result.errors) lines.push_back(e.to_string());
        return {{"type", "reload"}, {"result", "rejected"}, {"errors", std::move(lines)}};
    }
    return {{"type", "reload"}, {"result", "done"}, {"changes", result.changes.lines}};
}

void publish_changes(EventStream& events, vrrp::Engine& engine, healthcheck::HealthChecker& checker,
                     ipvs::Programmer& ipvs, bgp::RouteAnnouncer& routes) {
    engine.on_transition(
        [&events](const vrrp::Instance& instance, const vrrp::action::Transition& t) {
            if (!events.listening()) return;
            events.publish({{"type", "vrrp"},
                            {"instance", instance.name()},
                            {"from", to_string(t.from)},
                            {"to", to_string(t.to)},
                            {"reason", t.reason},
                            {"priority", instance.effective_priority()}});
        });
    checker.subscribe([&events, &ipvs](const healthcheck::HealthEvent& e) {
        const auto& pools = ipvs.desired().pools();
        if (!events.listening() || !pools.has(e.who)) return;
        const auto& pool = pools.all()[e.who.virtual_server];
        events.publish({{"type", "real_server"},
                        {"virtual_server", pool.name},
                        {"real_server", pool.members[e.who.real_server].name()},
                        {"up", e.up},
                        {"reason", e.reason}});
    });
    routes.on_change([&events](const bgp::VipStatus& vip) {
        if (!events.listening()) return;
        events.publish({{"type", "bgp"},
                        {"vip", vip.address.to_string()},
                        {"announced", vip.announced},
                        {"reason", vip.reason}});
    });
    ipvs.on_event([&events](std::string_view kind, const std::string& text) {
        if (!events.listening()) return;
        events.publish({{"type", kind}, {kind == "ipvs" ? "change" : "text", text}});
    });
}

}  // namespace directord::daemon
