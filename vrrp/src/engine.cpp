#include "directord/vrrp/engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "directord/healthcheck/file_watch.hpp"
#include "directord/io_error.hpp"
#include "directord/log.hpp"
#include "directord/vrrp/sync_group.hpp"

namespace directord::vrrp {

namespace {
constexpr const char* kMaintenanceKey = "maintenance";
constexpr const char* kSyncGroupKey = "sync_group";
}  // namespace

Engine::Engine(boost::asio::io_context& io, Host& host)
    : io_(io), host_(host), files_(std::make_unique<healthcheck::FileWatch>(io)) {}

Engine::~Engine() {
    // Instances unsubscribe from sockets, links and files: destroy them first.
    instances_.clear();
}

void Engine::start_instance(const config::Instance& cfg) {
    try {
        auto instance = std::make_unique<Instance>(
            Services{io_, host_, *files_, healthcheck::Scheduler::of(io_), managed_addresses_}, cfg,
            [this](Instance&) {
                settle_groups();
                report_roles();
            },
            [this](const Instance& instance, const action::Transition& t) {
                for (const auto& listener : transition_listeners_) listener(instance, t);
            });
        auto& ref = *instance;
        instances_[cfg.name] = std::move(instance);
        apply_maintenance(ref);
        ref.start();
    } catch (const IoError& e) {
        log::error("{}: cannot start: {}", cfg.name, e.what());
    }
}

void Engine::apply(const config::Config& cfg) {
    std::map<std::string, const config::Instance*> wanted;
    for (const auto& i : cfg.instances) wanted[i.name] = &i;

    groups_ = cfg.sync_groups;
    managed_addresses_.clear();
    for (const auto& i : cfg.instances)
        for (const auto& vip : i.held_vips()) managed_addresses_.push_back(vip.address);
    for (auto it = instances_.begin(); it != instances_.end();) {
        auto w = wanted.find(it->first);
        if (w == wanted.end() || !it->second->can_reconfigure(*w->second)) {
            log::info("{}: {}", it->first,
                      w == wanted.end() ? "removed from configuration, stopping"
                                        : "identity changed, restarting");
            it->second->shutdown();
            it = instances_.erase(it);
        } else {
            ++it;
        }
    }
    watch_maintenance(cfg.maintenance_file);
    for (const auto& i : cfg.instances) {
        auto it = instances_.find(i.name);
        if (it != instances_.end())
            it->second->reconfigure(i);
        else
            start_instance(i);
    }
    host_.release_unused();
    settle_groups();
    report_roles();
}

void Engine::shutdown() {
    for (auto& [name, instance] : instances_) instance->shutdown();
    report_roles();
}

bool Engine::notifying() const {
    return std::any_of(instances_.begin(), instances_.end(),
                       [](const auto& entry) { return entry.second->notifying(); });
}

void Engine::report_roles() {
    std::map<std::string, bool> now;
    for (const auto& [name, instance] : instances_) now[name] = instance->state() == State::master;
    for (const auto& [name, master] : now)
        if (auto it = roles_.find(name); it == roles_.end() || it->second != master)
            for (const auto& listener : role_listeners_) listener(name, master);
    for (const auto& [name, master] : roles_)
        if (master && !now.contains(name))
            for (const auto& listener : role_listeners_) listener(name, false);
    roles_ = std::move(now);
}

namespace {
std::string describe_drops(const DropCounters& drops) {
    std::string out;
    for (std::size_t i = 0; i < drops.size(); ++i)
        if (drops[i]) out += fmt::format(" {}={}", to_string(static_cast<DropReason>(i)), drops[i]);
    return out.empty() ? " none" : out;
}
}  // namespace

EngineStatus Engine::status() const {
    EngineStatus status{maintenance_file_, maintenance_present_, {}, host_.interface_drops()};
    for (const auto& [name, instance] : instances_) status.instances.push_back(instance->status());
    return status;
}

Instance* Engine::find(const std::string& name) {
    auto it = instances_.find(name);
    return it == instances_.end() ? nullptr : it->second.get();
}

void Engine::log_status() const {
    for (const auto& [name, instance] : instances_) {
        const auto& c = instance->counters();
        log::info(
            "status {}: {} priority {} (base {}), adverts sent {} received {}, became master {}, "
            "transitions {}, drops:{}",
            name, to_string(instance->state()), instance->effective_priority(),
            instance->config().priority, c.adverts_sent, c.adverts_received, c.became_master,
            c.transitions, describe_drops(c.drops));
    }
    for (const auto& [interface, drops] : host_.interface_drops())
        log::info("status socket {}: drops:{}", interface, describe_drops(drops));
}

void Engine::watch_maintenance(const std::optional<std::string>& path) {
    if (path == maintenance_file_) return;
    if (maintenance_watch_ >= 0) files_->unwatch(maintenance_watch_);
    maintenance_watch_ = -1;
    maintenance_file_ = path;
    maintenance_present_ = false;
    if (path) {
        try {
            maintenance_watch_ = files_->watch(*path, [this](bool present) {
                maintenance_present_ = present;
                log::info("maintenance file {} {}", *maintenance_file_,
                          present ? "created: handing over every instance" : "removed: resuming");
                for (auto& [name, instance] : instances_) apply_maintenance(*instance);
            });
            maintenance_present_ = healthcheck::FileWatch::exists(*path);
        } catch (const IoError& e) {
            log::error("maintenance file: {}", e.what());
        }
    }
    for (auto& [name, instance] : instances_) apply_maintenance(*instance);
}

void Engine::apply_maintenance(Instance& instance) {
    std::optional<std::string> reason;
    if (maintenance_present_)
        reason = fmt::format("maintenance file {} present", *maintenance_file_);
    instance.set_external_fault(kMaintenanceKey, reason);
}

void Engine::settle_groups() {
    // Member changes trigger further changes; settle iteratively instead of recursively.
    if (settling_) {
        resettle_ = true;
        return;
    }
    settling_ = true;
    for (int round = 0; round < 10; ++round) {
        resettle_ = false;
        for (const auto& group : groups_) settle(group);
        if (!resettle_) break;
    }
    settling_ = false;
}

void Engine::settle(const config::SyncGroup& group) {
    std::vector<Instance*> members;
    for (const auto& name : group.instances)
        if (auto it = instances_.find(name); it != instances_.end())
            members.push_back(it->second.get());
    auto views = [&] {
        std::vector<GroupMember> out;
        for (auto* m : members)
            out.push_back({m->name(), m->own_fault(), m->following_master(),
                           m->state() == State::master, m->own_weight()});
        return out;
    };
    auto orders = settle_group(group.name, views());
    for (std::size_t i = 0; i < members.size(); ++i)
        members[i]->set_group_weight(orders[i].group_weight);
    orders = settle_group(group.name, views());  // as the shared priority left them
    for (std::size_t i = 0; i < members.size(); ++i)
        members[i]->set_external_fault(kSyncGroupKey, orders[i].fault);
    for (std::size_t i = 0; i < members.size(); ++i)
        members[i]->hold(orders[i].hold.has_value(), orders[i].hold.value_or(""));
    if (auto master = group_master(views())) {
        for (std::size_t i = 0; i < members.size(); ++i)
            if (i != *master)
                members[i]->force_master(fmt::format("sync group {}: {} is MASTER", group.name,
                                                     members[*master]->name()));
    }
}

}  // namespace directord::vrrp
