#include "directord/ipvs/programmer.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <utility>

#include "directord/duration.hpp"
#include "directord/ipvs/sloppy.hpp"
#include "directord/ipvs/table_reader.hpp"
#include "directord/log.hpp"

namespace directord::ipvs {
namespace {
// Up to this many changes are logged one per line; more are summed up.
constexpr std::size_t kChangesListed = 20;
// Changes go to the kernel in slices of about this long, with a turn of the loop in between.
constexpr auto kSliceTime = std::chrono::milliseconds(10);
constexpr std::size_t kSmallestSlice = 8;
// Services compared between two looks at the clock.
constexpr std::size_t kServicesPerStep = 32;
}  // namespace

Programmer::Programmer(boost::asio::io_context& io) : io_(io), retry_(io), drain_timer_(io) {
    try {
        client_ = std::make_unique<Client>();
    } catch (const IpvsError& e) {
        unavailable_ = e.what();  // told once virtual servers need it: noise for VRRP alone
    }
}

Programmer::~Programmer() = default;

Pools Programmer::apply(const config::Config& cfg, Pools pools) {
    if (!client_ && !cfg.virtual_servers.empty() && !unavailable_.empty())
        log::warning("ipvs: {}: virtual servers are checked but not programmed",
                     std::exchange(unavailable_, {}));
    std::vector<std::string> forgotten;
    Pools old = desired_.configure(std::move(pools), &forgotten);
    for (const auto& member : forgotten)
        log::info("ipvs: {}: operator weight forgotten, no longer configured", member);
    if (client_)
        for (const auto& kept : draining_.reconfigured(old, desired_.pools(), drain_,
                                                       std::chrono::steady_clock::now()))
            log::info(
                "ipvs: {}: {} kept {} more: its address is withdrawn, flows on their way drain",
                kept.pool, describe(kept.key), format_duration(drain_));
    drain_ = cfg.bgp ? cfg.bgp->drain : std::chrono::microseconds(0);
    end_drains();
    ++generation_;
    for (const auto& key : desired_.keys()) managed_.insert(key);
    remove_on_stop_ = cfg.ipvs.remove_on_stop;
    remove_unmanaged_ = cfg.ipvs.remove_unmanaged;
    sync_ = cfg.ipvs.sync_daemon;
    follow_sync_daemon();
    apply_timeouts(cfg.ipvs.timeouts);
    require_sloppy_for(cfg);
    request();
    return old;
}

// A BGP tier's directors take over each other's flows mid-way: IPVS must accept them.
void Programmer::require_sloppy_for(const config::Config& cfg) {
    if (!client_) return;
    for (std::string_view protocol : {"tcp", "sctp"})
        if (std::any_of(cfg.virtual_servers.begin(), cfg.virtual_servers.end(),
                        [&](const auto& vs) { return vs.announce && vs.protocol == protocol; }))
            if (auto error = require_sloppy(protocol)) log::error("ipvs: {}", *error);
}

// The configured timeouts where they differ from the kernel's; one left out stays as it is.
void Programmer::apply_timeouts(const config::IpvsTimeouts& configured) {
    auto seconds = [](Duration d) {
        return static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(d).count());
    };
    Timeouts want{seconds(configured.tcp), seconds(configured.tcp_fin), seconds(configured.udp)};
    if (!client_ || want == Timeouts{}) return;
    try {
        Timeouts now = client_->timeouts();
        Timeouts after{want.tcp ? want.tcp : now.tcp, want.tcp_fin ? want.tcp_fin : now.tcp_fin,
                       want.udp ? want.udp : now.udp};
        if (after == now) return;
        client_->set_timeouts(want);
        log::info(
            "ipvs: connection timeouts now tcp {}s, tcp_fin {}s, udp {}s (were {}s, {}s, {}s)",
            after.tcp, after.tcp_fin, after.udp, now.tcp, now.tcp_fin, now.udp);
    } catch (const IpvsError& e) {
        log::error("{}", e.what());
    }
}

void Programmer::set_health(config::RealServerId rs, bool up) {
    if (desired_.set_health(rs, up)) request();
}

void Programmer::set_file_verdict(config::RealServerId rs, bool down, std::int64_t weight_change) {
    if (desired_.set_file_verdict(rs, down, weight_change)) request();
}

IpvsStatus Programmer::status() const {
    IpvsStatus status{client_ != nullptr, known_.size(),     0, runs_, changes_applied_,
                      refusals_,          sync_daemon_role()};
    for (const auto& [key, vs] : known_) status.destinations += vs.destinations.size();
    return status;
}

PoolStatus Programmer::pool_status(std::size_t i, std::size_t first, std::size_t last) const {
    const auto& pool = desired_.pools().all()[i];
    PoolStatus status{pool, 0, desired_.quorum(i), {}, first};
    const ServiceKey* shown = nullptr;  // members as the first service in the kernel has them
    for (const auto& s : pool.services) {
        if (!known_.contains(s.key)) continue;
        if (!shown) shown = &s.key;
        ++status.services_in_kernel;
    }
    last = std::min(last, pool.members.size());
    status.members.reserve(last - std::min(first, last));
    for (std::size_t j = first; j < last; ++j) {
        const auto& member = pool.members[j];
        status.members.push_back(
            {member.name(), member.destination.weight, desired_.operator_weight(i, j),
             desired_.health(i, j),
             shown ? find_destination(known_, *shown, member.destination) : nullptr});
    }
    return status;
}

bool Programmer::set_operator_weight(const std::string& vs, const std::string& rs,
                                     std::optional<std::uint32_t> weight) {
    if (!desired_.set_operator_weight(vs, rs, weight)) return false;
    request();
    return true;
}

void Programmer::set_role(const std::string& instance, bool master) {
    roles_[instance] = master;
    if (desired_.set_role(instance, master)) request();
    follow_sync_daemon();
}

void Programmer::tell(std::string_view kind, const std::string& text) {
    log::info("{}{}", kind == "ipvs" ? "ipvs: " : "", text);
    for (const auto& listener : listeners_) listener(kind, text);
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
    if (!adopted_) {
        adopt();
        return;
    }
    applying_ = true;  // events from here on wait for this run
    std::vector<QuorumChange> events;
    target_ = desired_.update(known_, &events);
    for (const auto& change : events) {
        tell("quorum", change.text);
        for (const auto& listener : quorum_listeners_) listener(change);
    }
    // Diffing a large table is the next turn's work: adverts leave in between.
    boost::asio::post(io_, [this] { diff(); });
}

// The kernel's table being read, and a wait on the loop for its next answer.
struct Programmer::Reading {
    TableReader reader;
    boost::asio::posix::stream_descriptor readable;  // a duplicate of the reader's descriptor

    Reading(boost::asio::io_context& io, int family) : reader(family), readable(io) {
        int fd = dup(reader.fd());
        if (fd < 0) throw IpvsError("IPVS: list services: a descriptor to wait on", errno);
        readable.assign(fd);
    }
};

// The kernel's table is read a part per turn, then run() goes on from it; events meanwhile
// wait for it like for changes under way.
void Programmer::adopt() {
    applying_ = true;
    try {
        reading_ = std::make_unique<Reading>(io_, client_->family());
    } catch (const IpvsError& e) {
        applying_ = false;
        log::error("ipvs: {}", e.what());
        return;
    }
    read_slice();
}

void Programmer::read_slice() {
    try {
        switch (reading_->reader.step(kSliceTime)) {
            case TableReader::Step::more:
                boost::asio::post(io_, [this] { read_slice(); });  // adverts and checks in between
                return;
            case TableReader::Step::waiting:
                reading_->readable.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                                              [this](const boost::system::error_code& error) {
                                                  if (!error) read_slice();
                                              });
                return;
            case TableReader::Step::done:
                known_ = by_key(reading_->reader.take());
                break;
        }
    } catch (const IpvsError& e) {
        log::error("ipvs: {}", e.what());
        reading_.reset();
        applying_ = false;
        return;
    }
    std::size_t destinations = 0;
    for (const auto& [key, vs] : known_) destinations += vs.destinations.size();
    // Read again only after a refusal.
    const auto steps = reading_->reader.steps();
    log::info("ipvs: {} services in the kernel {} ({} destinations, read in {} turn{})",
              known_.size(), refusals_ == 0 ? "at start" : "after the refusal", destinations, steps,
              steps == 1 ? "" : "s");
    reading_.reset();
    adopted_ = true;
    desired_.touch_all();
    applying_ = dirty_ = false;  // what happened meanwhile is in desired_
    run();
}

// Only the services the update concerns are compared: a health event costs one service's
// work, not the table's.
void Programmer::diff() {
    present_.clear();
    if (target_.whole) {
        for (const auto& [key, vs] : known_) present_.emplace(key, &vs);
    } else {
        for (const auto& key : target_.scope)
            if (auto vs = known_.find(key); vs != known_.end()) present_.emplace(key, &vs->second);
    }
    comparing_.emplace(target_.table, present_,
                       [this](const ServiceKey& key) { return removable(key); });
    compare_slice();
}

// Compared in slices of about kSliceTime too: 50,000 destinations take far longer than an
// advert interval on a slow CPU.
void Programmer::compare_slice() {
    auto slice_started = std::chrono::steady_clock::now();
    while (!comparing_->step(kServicesPerStep)) {
        if (std::chrono::steady_clock::now() - slice_started >= kSliceTime) {
            boost::asio::post(io_, [this] { compare_slice(); });
            return;
        }
    }
    pending_ = std::move(comparing_->changes());
    comparing_.reset();
    present_.clear();
    next_ = 0;
    if (pending_.empty()) {
        finish();
        return;
    }
    ++runs_;
    if (pending_.size() <= kChangesListed) {
        for (const auto& c : pending_) tell("ipvs", describe(c));
    } else {
        tell("ipvs", fmt::format("applying {} changes", pending_.size()));
    }
    started_ = std::chrono::steady_clock::now();
    apply_slice();
}

// A slice is sized to take about kSliceTime: the kernel's cost per change varies a hundredfold
// (a service allocates per-CPU statistics and a scheduler, a weight change writes one field).
void Programmer::apply_slice() {
    auto count = std::min(slice_, pending_.size() - next_);
    auto slice_started = std::chrono::steady_clock::now();
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
    auto took = std::chrono::steady_clock::now() - slice_started;
    if (took < kSliceTime / 2 && count == slice_) slice_ = std::min(slice_ * 2, Client::kBatch);
    if (took > kSliceTime) slice_ = std::max(slice_ / 2, kSmallestSlice);
    if (next_ < pending_.size()) {
        boost::asio::post(io_, [this] { apply_slice(); });  // adverts and checks in between
        return;
    }
    if (pending_.size() > kChangesListed)
        log::info(
            "ipvs: {} changes applied in {:.3f}s", pending_.size(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    finish();
}

// The kernel now holds the target: in the services compared, the rest as it was.
void Programmer::finish() {
    if (target_.whole) {
        std::erase_if(known_, [this](const auto& entry) { return removable(entry.first); });
    } else {
        for (const auto& key : target_.scope) known_.erase(key);
    }
    for (auto& vs : target_.table) {
        auto key = vs.service.key;
        // As the kernel lists them: newest first.
        if (vs.service.ordered) std::reverse(vs.destinations.begin(), vs.destinations.end());
        known_.insert_or_assign(key, std::move(vs));
    }
    target_ = {};
    pending_.clear();
    applying_ = false;
    if (dirty_) {
        dirty_ = false;
        request();
    }
}

// A service the configuration does not have: directord's own, unless it is draining.
bool Programmer::removable(const ServiceKey& key) const {
    return !draining_.contains(key) && (remove_unmanaged_ || managed_.contains(key));
}

// Services draining leave the kernel when their drain ends.
void Programmer::end_drains() {
    auto next = draining_.next_end();
    if (!next) {
        drain_timer_.cancel();
        return;
    }
    drain_timer_.expires_at(*next);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        if (draining_.expire(std::chrono::steady_clock::now()) > 0) {
            desired_.touch_all();
            request();
        }
        end_drains();
    });
}

void Programmer::follow_sync_daemon() {
    if (!client_) return;
    std::optional<SyncDaemon> want;
    if (sync_) {
        auto role = roles_.find(sync_->instance);
        bool master = role != roles_.end() && role->second;
        want = SyncDaemon{master ? SyncDaemon::Role::master : SyncDaemon::Role::backup,
                          sync_->interface,
                          sync_->sync_id,
                          sync_->group,
                          sync_->port,
                          sync_->ttl,
                          sync_->max_length};
    }
    if (want == sync_running_) return;
    try {
        if (!sync_running_) {
            // Adopt a daemon left running by a previous directord.
            auto running = client_->sync_daemons();
            for (const auto& d : running)
                if (want && want->is(d)) sync_running_ = want;
            if (want == sync_running_) return;
            for (const auto& d : running) client_->stop_sync_daemon(d.role);
        } else {
            client_->stop_sync_daemon(sync_running_->role);
            sync_running_.reset();
        }
        if (want) {
            client_->start_sync_daemon(*want);
            sync_running_ = want;
            log::info("ipvs: connection sync daemon now {}", describe(*want));
        }
    } catch (const IpvsError& e) {
        log::error("{}", e.what());
        sync_running_.reset();
    }
}

void Programmer::shutdown() {
    if (!client_ || !remove_on_stop_) return;
    std::vector<Change> removals;
    for (const auto& [key, vs] : known_)
        if (managed_.contains(key))
            removals.push_back({Change::Kind::delete_service, vs.service, {}});
    try {
        client_->apply(removals);
        if (sync_running_) client_->stop_sync_daemon(sync_running_->role);
        log::info("ipvs: removed {} services (on_stop: remove)", removals.size());
    } catch (const IpvsError& e) {
        log::error("{}", e.what());
    }
}

std::string_view Programmer::sync_daemon_role() const {
    if (!sync_running_) return "off";
    return sync_running_->role == SyncDaemon::Role::master ? "master" : "backup";
}

void Programmer::log_status() const {
    if (!client_) {
        log::info("status ipvs: not available in this kernel");
        return;
    }
    std::size_t destinations = 0;
    for (const auto& [key, vs] : known_) destinations += vs.destinations.size();
    log::info(
        "status ipvs: {} services, {} destinations; {} reconciles, {} changes applied, {} "
        "refused; sync daemon {}",
        known_.size(), destinations, runs_, changes_applied_, refusals_, sync_daemon_role());
}

}  // namespace directord::ipvs
