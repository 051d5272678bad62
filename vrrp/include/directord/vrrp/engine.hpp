#pragma once
// All VRRP instances of a configuration: shared sockets per interface, sync groups,
// the global maintenance file, and reload as a difference against what runs.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/vrrp/instance.hpp"

namespace directord::vrrp {

// What status and metrics show of the engine, as a value.
struct EngineStatus {
    std::optional<std::string> maintenance_file;
    bool in_maintenance = false;
    std::vector<InstanceStatus> instances;  // by name
    // Packets dropped before they could be told apart by VRID, per interface.
    std::map<std::string, DropCounters> interface_drops;
};

class Engine {
  public:
    // `host`: the kernel (KernelHost) or a fake; it outlives the engine.
    Engine(boost::asio::io_context& io, Host& host);  // throws IoError (inotify)
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Starts what is new, reconfigures what changed in place, stops what is gone; an
    // unchanged instance is not touched. `cfg` must already be validated.
    void apply(const config::Config& cfg);
    // Graceful stop of every instance (priority-0 adverts, VIPs removed).
    void shutdown();
    // Some instance's notify hook is queued or running.
    bool notifying() const;

    // One log line per instance and per socket: state, priorities and every counter.
    void log_status() const;

    EngineStatus status() const;
    Instance* find(const std::string& name);
    const std::optional<std::string>& maintenance_file() const { return maintenance_file_; }

    // Told whenever an instance becomes MASTER or stops being it (IPVS follows the roles).
    using RoleListener = std::function<void(const std::string& instance, bool master)>;
    void on_role(RoleListener listener) { role_listeners_.push_back(std::move(listener)); }
    // Told of every instance's state change, with its reason (the event stream).
    using TransitionListener = Instance::TransitionHandler;
    void on_transition(TransitionListener listener) {
        transition_listeners_.push_back(std::move(listener));
    }

  private:
    void start_instance(const config::Instance& cfg);
    void report_roles();
    void settle_groups();
    void settle(const config::SyncGroup& group);
    void watch_maintenance(const std::optional<std::string>& path);
    void apply_maintenance(Instance& instance);

    boost::asio::io_context& io_;
    Host& host_;
    std::unique_ptr<healthcheck::FileWatch> files_;
    std::map<std::string, std::unique_ptr<Instance>> instances_;
    std::vector<TransitionListener> transition_listeners_;
    std::vector<config::SyncGroup> groups_;
    std::vector<config::IpAddress> managed_addresses_;  // never an advert source
    std::optional<std::string> maintenance_file_;
    int maintenance_watch_ = -1;
    bool maintenance_present_ = false;
    std::vector<RoleListener> role_listeners_;
    std::map<std::string, bool> roles_;  // as last reported
    bool settling_ = false;
    bool resettle_ = false;
};

}  // namespace directord::vrrp
