#include "directord/ipvs/programmer.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "directord/log.hpp"

namespace directord::ipvs {

Programmer::Programmer(boost::asio::io_context& io) : io_(io), retry_(io) {
    try {
        client_ = std::make_unique<Client>();
    } catch (const IpvsError& e) {
        log::warning("ipvs: {}: virtual servers are checked but not programmed", e.what());
    }
}

Programmer::~Programmer() = default;

void Programmer::apply(const config::Config& cfg) {
    std::vector<Pool> pools;
    for (const auto& vs : cfg.virtual_servers) pools.push_back(pool_of(vs));
    desired_.configure(std::move(pools));
    for (const auto& key : desired_.keys()) managed_.insert(key);
    remove_on_stop_ = cfg.ipvs.remove_on_stop;
    remove_unmanaged_ = cfg.ipvs.remove_unmanaged;
    sync_ = cfg.ipvs.sync_daemon;
    follow_sync_daemon();
    request();
}

void Programmer::set_health(const std::string& vs, const std::string& rs, bool up) {
    if (desired_.set_health(vs, rs, up)) request();
}

void Programmer::set_role(const std::string& instance, bool master) {
    roles_[instance] = master;
    if (desired_.set_role(instance, master)) request();
    follow_sync_daemon();
}

// Many events in one turn of the loop (a reload, a switch failing) make one reconcile.
void Programmer::request() {
    if (!client_ || requested_) return;
    requested_ = true;
    boost::asio::post(io_, [this] {
        requested_ = false;
        run();
    });
}

void Programmer::run() {
    if (applying_) {
        dirty_ = true;  // picked up when the changes under way are done
        return;
    }
    try {
        if (!adopted_) {
            known_ = client_->read();
            adopted_ = true;
            log::info("ipvs: {} services in the kernel at start", known_.size());
        }
    } catch (const IpvsError& e) {
        log::error("ipvs: {}", e.what());
        return;
    }
    std::vector<std::string> events;
    target_ = desired_.table(known_, &events);
    for (const auto& line : events) log::info("{}", line);
    pending_ = reconcile(target_, known_, [this](const ServiceKey& key) {
        return remove_unmanaged_ || managed_.contains(key);
    });
    next_ = 0;
    if (pending_.empty()) return;
    ++runs_;
    if (pending_.size() <= 20) {
        for (const auto& c : pending_) log::info("ipvs: {}", describe(c));
    } else {
        log::info("ipvs: applying {} changes", pending_.size());
    }
    applying_ = true;
    apply_slice();
}

void Programmer::apply_slice() {
    auto count = std::min(Client::kBatch, pending_.size() - next_);
    try {
        client_->apply(std::span<const Change>(pending_).subspan(next_, count));
    } catch (const IpvsError& e) {
        ++refusals_;
        log::error("{}; re-reading the kernel's table and trying again in 1s", e.what());
        applying_ = false;
        adopted_ = false;
        retry_.expires_after(std::chrono::seconds(1));
        retry_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) request();
        });
        return;
    }
    next_ += count;
    changes_applied_ += count;
    if (next_ < pending_.size()) {
        boost::asio::post(io_, [this] { apply_slice(); });  // adverts and checks in between
        return;
    }
    // The kernel now holds the target, beside the services that are not ours.
    Table known = target_;
    for (auto& vs : known_)
        if (!remove_unmanaged_ && !managed_.contains(vs.service.key))
            known.push_back(std::move(vs));
    known_ = std::move(known);
    applying_ = false;
    if (dirty_) {
        dirty_ = false;
        request();
    }
}

void Programmer::follow_sync_daemon() {
    if (!client_) return;
    std::optional<SyncDaemon> want;
    if (sync_) {
        auto role = roles_.find(sync_->instance);
        bool master = role != roles_.end() && role->second;
        want = SyncDaemon{master ? SyncDaemon::Role::master : SyncDaemon::Role::backup,
                          sync_->interface, sync_->sync_id};
    }
    if (want == sync_running_) return;
    try {
        if (!sync_running_) {
            // Adopt a daemon left running by a previous directord.
            auto running = client_->sync_daemons();
            for (const auto& d : running)
                if (want && d == *want) sync_running_ = d;
            if (want == sync_running_) return;
            for (const auto& d : running) client_->stop_sync_daemon(d.role);
        } else {
            client_->stop_sync_daemon(sync_running_->role);
            sync_running_.reset();
        }
        if (want) {
            client_->start_sync_daemon(*want);
            sync_running_ = want;
            log::info("ipvs: connection sync daemon now {} on {} (sync id {})",
                      want->role == SyncDaemon::Role::master ? "master" : "backup", want->interface,
                      want->sync_id);
        }
    } catch (const IpvsError& e) {
        log::error("{}", e.what());
        sync_running_.reset();
    }
}

void Programmer::shutdown() {
    if (!client_ || !remove_on_stop_) return;
    std::vector<Change> removals;
    for (const auto& vs : known_)
        if (managed_.contains(vs.service.key))
            removals.push_back({Change::Kind::delete_service, vs.service, {}});
    try {
        client_->apply(removals);
        if (sync_running_) client_->stop_sync_daemon(sync_running_->role);
        log::info("ipvs: removed {} services (on_stop: remove)", removals.size());
    } catch (const IpvsError& e) {
        log::error("{}", e.what());
    }
}

void Programmer::log_status() const {
    if (!client_) {
        log::info("status ipvs: not available in this kernel");
        return;
    }
    std::size_t destinations = 0;
    for (const auto& vs : known_) destinations += vs.destinations.size();
    log::info(
        "status ipvs: {} services, {} destinations; {} reconciles, {} changes applied, {} "
        "refused; sync daemon {}",
        known_.size(), destinations, runs_, changes_applied_, refusals_,
        sync_running_ ? (sync_running_->role == SyncDaemon::Role::master ? "master" : "backup")
                      : "off");
}

}  // namespace directord::ipvs
