#include "director.hpp"

#include <utility>

#include "directord/log.hpp"

namespace directord::daemon {

Director::Director(boost::asio::io_context& io, const std::string& state_file, DaemonInfo& info)
    : host_(io),
      engine_(io, host_),
      checker_(io),
      file_checks_(io),
      hooks_(io),
      ipvs_(io),
      routes_(io, bgp::kernel_routes, [this](std::size_t vs) { return count(vs); }),
      engine_sessions_(io),
      operator_state_(state_file),
      info_(info) {
    checker_.subscribe([this](const healthcheck::HealthEvent& e) {
        if (stopping_) return;
        auto before = ipvs_.desired().health(e.who);
        ipvs_.set_health(e.who, e.up);
        tell_hooks(e.who, before, e.reason);
        routes_.reevaluate();
    });
    ipvs_.on_quorum([this](const ipvs::QuorumChange& change) { hooks_.quorum(change); });
    file_checks_.subscribe([this](const healthcheck::FileChecks::Event& e) {
        auto before = ipvs_.desired().health(e.who);
        apply_file(e);
        tell_hooks(e.who, before, e.reason);
        routes_.reevaluate();
    });
    engine_.on_role([this](const std::string& instance, bool master) {
        if (!stopping_) ipvs_.set_role(instance, master);
    });
    publish_changes(events_, engine_, checker_, ipvs_, routes_);
}

bool Director::configure(Loaded& loaded, bool check_only) {
    const bool start = running_ == nullptr;
    if (!start) {
        for (const auto& line : loaded.changes.lines)
            log::info("reload{}: {}", check_only ? " check" : "", line);
        if (check_only) {
            log::info("reload check: {} change(s), nothing applied", loaded.changes.count);
            return false;
        }
    }
    const auto& c = loaded.config;
    set_loop_priority(c.process, loop_nice_);
    engine_.apply(c);
    checker_.apply(loaded.checks);                           // what it leaves is freed off the loop
    loaded.pools = ipvs_.apply(c, std::move(loaded.pools));  // the old ones, freed off the loop
    checker_.for_each_state([this](config::RealServerId rs, bool up) { ipvs_.set_health(rs, up); });
    routes_.apply(c);
    engine_sessions_.apply(c);
    hooks_.apply(c);
    file_checks_.apply(c);
    file_checks_.for_each_verdict([this](const auto& e) { apply_file(e); });
    if (start)
        operator_state_read_ = restore_operator_weights(operator_state_, ipvs_);
    else if (operator_state_read_)
        keep_operator_weights(operator_state_, ipvs_);
    info_.router_id = c.router_id;
    if (!start && !(c.control == running_->control))
        log::warning(
            "control: a new socket path or metrics address takes effect at the next start");
    loaded.replaced =
        std::exchange(running_, std::make_shared<const config::Config>(std::move(loaded.config)));
    if (!start) log::info("reload done: {} change(s)", loaded.changes.count);
    return true;
}

void Director::apply_file(const healthcheck::FileChecks::Event& e) {
    if (stopping_) return;
    ipvs_.set_file_verdict(e.who, e.verdict.down, e.verdict.weight_change);
}

// A real server's hooks follow its state in the table: its check and its file check together.
void Director::tell_hooks(config::RealServerId who, std::string_view before,
                          const std::string& reason) {
    auto after = ipvs_.desired().health(who);
    if (after == before || after == "unknown") return;
    const auto& pool = ipvs_.desired().pools().all()[who.virtual_server];
    hooks_.real_server(pool.name, pool.members[who.real_server].name(), after == "up", reason);
}

// An announced virtual server's real servers as the table has them (check and file check).
bgp::ServiceCount Director::count(std::size_t virtual_server) const {
    const auto& desired = ipvs_.desired();
    const auto& pool = desired.pools().all()[virtual_server];
    bgp::ServiceCount count{pool.name, pool.members.size()};
    for (std::size_t m = 0; m < pool.members.size(); ++m) {
        auto health = desired.health(virtual_server, m);
        count.live += health == "up";
        count.unknown += health == "unknown";
    }
    return count;
}

std::chrono::microseconds Director::stop() {
    auto drain = routes_.withdraw_all();
    engine_.shutdown();
    ipvs_.shutdown();
    stopping_ = true;
    return drain;
}

void Director::log_status() const {
    engine_.log_status();
    checker_.log_status();
    ipvs_.log_status();
}

}  // namespace directord::daemon
