#pragma once
// What the daemon tells operators, read off the running parts: the status document served
// to `directorctl status` (JSON, schema in docs/operations.md) and the Prometheus metrics.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "directord/healthcheck/checker.hpp"
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
};

struct Parts {
    const vrrp::Engine& engine;
    const healthcheck::HealthChecker& checker;
    const ipvs::Programmer& ipvs;
    const DaemonInfo& info;
};

// Schema version of status(); bumped only when a field changes meaning or goes away.
constexpr int kStatusSchema = 1;

nlohmann::json status(const Parts& parts);
// Prometheus text exposition format 0.0.4.
std::string metrics(const Parts& parts);

}  // namespace directord::daemon
