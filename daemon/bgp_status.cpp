// The BGP tier in the status document and the metrics.
#include <fmt/format.h>

#include "status.hpp"

namespace directord::daemon {

namespace {
const char* engine_name(config::RoutingEngine engine) {
    switch (engine) {
        case config::RoutingEngine::frr:
            return "frr";
        case config::RoutingEngine::bird:
            return "bird";
        case config::RoutingEngine::external:
            return "external";
    }
    return "external";
}
}  // namespace

nlohmann::json status_bgp(const bgp::AnnounceStatus& status,
                          const std::optional<bgp::EngineReading>& sessions) {
    if (!status.configured) return nullptr;
    auto vips = nlohmann::json::array();
    for (const auto& v : status.vips) {
        auto since = std::chrono::duration_cast<std::chrono::seconds>(v.since.time_since_epoch());
        vips.push_back({{"address", v.address.to_string()},
                        {"announced", v.announced},
                        {"reason", v.reason},
                        {"since_unix", since.count()},
                        {"withdrawals", v.withdrawals},
                        {"virtual_servers", v.virtual_servers}});
    }
    nlohmann::json engine = {{"name", engine_name(status.engine)}};
    if (sessions) {
        auto list = nlohmann::json::array();
        for (const auto& s : sessions->sessions)
            list.push_back({{"peer", s.peer}, {"state", s.state}, {"established", s.established}});
        engine["sessions"] = std::move(list);
        auto bfd = nlohmann::json::array();
        for (const auto& b : sessions->bfd)
            bfd.push_back({{"peer", b.peer}, {"state", b.state}, {"up", b.up}});
        engine["bfd"] = std::move(bfd);
        engine["error"] = sessions->error ? nlohmann::json(*sessions->error) : nullptr;
    }
    return {{"engine", engine_name(status.engine)},
            {"route_protocol", status.route_protocol},
            {"route_errors", status.route_errors},
            {"engine_status", std::move(engine)},
            {"vips", std::move(vips)}};
}

std::string metrics_bgp(const bgp::AnnounceStatus& status,
                        const std::optional<bgp::EngineReading>& sessions) {
    if (!status.configured) return {};
    Exposition out;
    out.family("directord_bgp_vip_announced", "gauge",
               "1 while the address's announce route is in the kernel (the engine announces it).");
    for (const auto& v : status.vips)
        out.sample("directord_bgp_vip_announced", fmt::format("vip=\"{}\"", v.address.to_string()),
                   v.announced ? 1 : 0);
    out.family("directord_bgp_vip_withdrawals_total", "counter",
               "Withdrawals of the address's announce route.");
    for (const auto& v : status.vips)
        out.sample("directord_bgp_vip_withdrawals_total",
                   fmt::format("vip=\"{}\"", v.address.to_string()),
                   static_cast<double>(v.withdrawals));
    out.family("directord_bgp_route_errors_total", "counter",
               "Route changes or reads the kernel refused.");
    out.sample("directord_bgp_route_errors_total", "", static_cast<double>(status.route_errors));
    if (sessions) {
        out.family("directord_bgp_session_established", "gauge",
                   "1 while the routing engine's BGP session is established (read every 5 s).");
        for (const auto& s : sessions->sessions)
            out.sample("directord_bgp_session_established", fmt::format("peer=\"{}\"", s.peer),
                       s.established ? 1 : 0);
        out.family("directord_bfd_session_up", "gauge",
                   "1 while the routing engine's BFD session is up (read every 5 s).");
        for (const auto& b : sessions->bfd)
            out.sample("directord_bfd_session_up", fmt::format("peer=\"{}\"", b.peer),
                       b.up ? 1 : 0);
    }
    return out.take();
}

}  // namespace directord::daemon
