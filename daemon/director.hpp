#pragma once
// The daemon's parts (VRRP engine, health checker, IPVS programmer, event stream, operator
// state, virtual servers' hooks) and the one way a configuration reaches them: configure(), behind
// the start, SIGHUP, `directorctl reload` and `directorctl reload --check`. It owns the parts'
// wiring: IPVS follows the checks and the VRRP roles until a stop begins, and every change is
// published on the event stream.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "directord/bgp/engine_sessions.hpp"
#include "directord/bgp/route_announcer.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/healthcheck/file_checks.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/vrrp/engine.hpp"
#include "directord/vrrp/kernel_host.hpp"
#include "events.hpp"
#include "loading.hpp"
#include "operator_state.hpp"
#include "status.hpp"
#include "virtual_server_hooks.hpp"

namespace directord::daemon {

class Director {
  public:
    Director(boost::asio::io_context& io, const std::string& state_file, DaemonInfo& info);

    // Applies `loaded` to every part, or with `check_only` touches nothing; either way the
    // changes are loaded.changes (logged). Returns whether it applied. The first call (the
    // start) also restores the operators' weights from the state file.
    bool configure(Loaded& loaded, bool check_only);
    // The configuration applied last (for the next parse to compare with); null before.
    std::shared_ptr<const config::Config> running() const { return running_; }

    // SIGTERM: hand over (priority-0 adverts, VIPs removed), withdraw the announced addresses;
    // IPVS stops following. Returns how long to wait before exiting (the routes' drain).
    std::chrono::microseconds stop();
    bool stopping() const { return stopping_; }
    void log_status() const;

    vrrp::Engine& engine() { return engine_; }
    ipvs::Programmer& ipvs() { return ipvs_; }
    EventStream& events() { return events_; }
    OperatorStateFile& operator_state() { return operator_state_; }
    bgp::RouteAnnouncer& routes() { return routes_; }
    Parts parts() const {
        return {engine_, checker_, file_checks_, ipvs_, routes_, engine_sessions_, info_};
    }

  private:
    void apply_file(const healthcheck::FileChecks::Event& e);
    bgp::ServiceCount count(std::size_t virtual_server) const;
    void tell_hooks(config::RealServerId who, std::string_view before, const std::string& reason);

    vrrp::KernelHost host_;
    vrrp::Engine engine_;
    healthcheck::HealthChecker checker_;
    healthcheck::FileChecks file_checks_;
    VirtualServerHooks hooks_;
    ipvs::Programmer ipvs_;
    bgp::RouteAnnouncer routes_;
    bgp::EngineWatch engine_sessions_;
    EventStream events_;
    OperatorStateFile operator_state_;
    bool operator_state_read_ = false;  // a file never read is never overwritten
    DaemonInfo& info_;
    std::optional<int> loop_nice_;  // as applied
    bool stopping_ = false;
    std::shared_ptr<const config::Config> running_;
};

}  // namespace directord::daemon
