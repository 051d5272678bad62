#pragma once
// What the daemon tells operators, read off the running parts: the status document served
// to `directorctl status` (JSON, schema in docs/operations.md) and the Prometheus metrics.
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "directord/bgp/engine_sessions.hpp"
#include "directord/bgp/route_announcer.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/healthcheck/file_checks.hpp"
#include "directord/histogram.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/vrrp/engine.hpp"

namespace directord::daemon {

struct DaemonInfo {
    std::string config_file;
    std::string router_id;
    std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    unsigned long reloads = 0;
    unsigned long reload_failures = 0;
    unsigned long control_rejected = 0;  // control requests that could not be served
    SecondsHistogram loop_lag{};         // LoopLagProbe's
};

struct Parts {
    const vrrp::Engine& engine;
    const healthcheck::HealthChecker& checker;
    const healthcheck::FileChecks& files;
    const ipvs::Programmer& ipvs;
    const bgp::RouteAnnouncer& routes;
    const bgp::EngineWatch& engine_sessions;
    const DaemonInfo& info;
};

// Schema version of the status document; bumped only when a field changes meaning or goes away.
constexpr int kStatusSchema = 1;

// The pieces of the status document (JSON, schema in docs/operations.md) and of the
// Prometheus exposition (text format 0.0.4), made per virtual server so that a large farm is
// rendered in slices (render.hpp).

// Everything but "virtual_servers".
nlohmann::json status_header(const Parts& parts);
// Virtual server `pool` of the IPVS programmer's desired pools, as JSON text appended to `out`
// in pieces: the object up to its "real_servers" list, then real servers [first, last) (how
// many there were: fewer than asked at the end), then the end of both.
void status_pool_open(const Parts& parts, std::size_t pool, std::string& out);
std::size_t status_pool_members(const Parts& parts, std::size_t pool, std::size_t first,
                                std::size_t last, std::string& out);
void status_pool_close(std::string& out);

// Families of the exposition, each with its samples together as the format wants.
class Exposition {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::string_view labels, double value);
    // NAME_bucket (cumulative, with `le`), NAME_sum and NAME_count.
    void histogram(std::string_view name, std::string_view labels, const SecondsHistogram& h);
    std::string take() { return std::move(text_); }

  private:
    std::string text_;
};
struct RealServerFamilies {
    RealServerFamilies();
    Exposition up, latency, weight, operator_weight, quorum;
    std::vector<std::string> take();  // the families' texts, in order
};
std::string metrics_header(const Parts& parts);  // daemon and VRRP families
// The samples of real servers [first, last) of `pool` (and its quorum with the first): how
// many there were.
std::size_t metrics_pool(const Parts& parts, std::size_t pool, std::size_t first, std::size_t last,
                         RealServerFamilies& out);
std::string metrics_rest(const Parts& parts);  // checks by kind, IPVS, BGP
// The announced addresses (null without a bgp: section), and their metrics.
nlohmann::json status_bgp(const bgp::AnnounceStatus& status,
                          const std::optional<bgp::EngineReading>& sessions);
std::string metrics_bgp(const bgp::AnnounceStatus& status,
                        const std::optional<bgp::EngineReading>& sessions);

}  // namespace directord::daemon
