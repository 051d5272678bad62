#pragma once
// The event stream behind `directorctl events`: every state change as one JSON object per line
// to every client listening: instance transitions with their reason, real servers up or down
// with theirs, quorum changes, changes applied to IPVS, reloads, drains and weights,
// maintenance, announced addresses announced or withdrawn. Nothing is built while nobody listens.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "directord/bgp/route_announcer.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/vrrp/engine.hpp"
#include "loading.hpp"
#include "request_server.hpp"

namespace directord::daemon {

class EventStream {
  public:
    static constexpr std::size_t kMaxListeners = 8;

    bool listening() const { return !sinks_.empty(); }
    bool full() {
        std::erase_if(sinks_, [](const auto& sink) { return sink->gone(); });
        return sinks_.size() >= kMaxListeners;
    }
    void add(std::shared_ptr<LineSink> sink) { sinks_.push_back(std::move(sink)); }
    // Adds "time" (UTC, ISO 8601) and writes the line to every listener; those gone are let go.
    void publish(nlohmann::json event);

  private:
    std::vector<std::shared_ptr<LineSink>> sinks_;
};

// {"type": "reload", "result": "done", "changes": [...]} or "rejected" with every error.
nlohmann::json reload_event(const ReloadResult& result);

// The parts' changes, published on `events`.
void publish_changes(EventStream& events, vrrp::Engine& engine, healthcheck::HealthChecker& checker,
                     ipvs::Programmer& ipvs, bgp::RouteAnnouncer& routes);

}  // namespace directord::daemon
