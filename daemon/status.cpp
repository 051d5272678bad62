#include "status.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "directord/text.hpp"

namespace directord::daemon {
namespace {

using nlohmann::json;

double seconds(std::chrono::microseconds us) { return std::chrono::duration<double>(us).count(); }

json drops_of(const vrrp::DropCounters& drops) {
    json out = json::object();
    for (std::size_t i = 0; i < drops.size(); ++i)
        if (drops[i]) out[std::string(to_string(static_cast<vrrp::DropReason>(i)))] = drops[i];
    return out;
}

// Label values escaped as the exposition format wants.
std::string label(std::string_view raw) {
    std::string value = text::printable(raw);
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void Exposition::sample(std::string_view name, std::string_view labels, double value) {
    text_ += labels.empty() ? fmt::format("{} {}\n", name, value)
                            : fmt::format("{}{{{}}} {}\n", name, labels, value);
}

void collect_checks(const Parts& parts, std::size_t first, std::size_t last, CheckViews& into) {
    parts.checker.for_each_monitor(
        first, last, [&](const healthcheck::RealServerRef& who, const healthcheck::Monitor& m) {
            into.emplace(who.virtual_server + '\0' + who.real_server,
                         CheckView{std::string(m.kind()), m.decided(), m.up(), m.last_result()});
        });
}

json status_header(const Parts& parts) {
    json doc;
    doc["schema"] = kStatusSchema;
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now() - parts.info.started);
    doc["daemon"] = {{"version", DIRECTORD_VERSION},
                     {"pid", getpid()},
                     {"router_id", parts.info.router_id},
                     {"config_file", parts.info.config_file},
                     {"uptime_seconds", uptime.count()},
                     {"reloads", parts.info.reloads},
                     {"reload_failures", parts.info.reload_failures},
                     {"control_rejected", parts.info.control_rejected}};
    const auto& maintenance = parts.engine.maintenance_file();
    doc["maintenance"] = {{"file", maintenance ? json(*maintenance) : json(nullptr)},
                          {"active", parts.engine.in_maintenance()}};

    json instances = json::array();
    for (const auto& [name, instance] : parts.engine.instances()) {
        const auto& cfg = instance->config();
        const auto& c = instance->counters();
        instances.push_back({{"name", name},
                             {"interface", cfg.interface},
                             {"vrid", cfg.vrid},
                             {"version", cfg.version},
                             {"state", to_string(instance->state())},
                             {"priority", instance->effective_priority()},
                             {"base_priority", cfg.priority},
                             {"reasons", instance->reasons()},
                             {"adverts_sent", c.adverts_sent},
                             {"adverts_received", c.adverts_received},
                             {"transitions", c.transitions},
                             {"became_master", c.became_master},
                             {"vips_restored", c.vips_restored},
                             {"stray_vips", c.stray_vips},
                             {"answers_rate_limited", instance->answers_limited()},
                             {"lower_priority_ignored", instance->lower_priority_ignored()},
                             {"drops", drops_of(c.drops)}});
    }
    doc["instances"] = std::move(instances);
    // Packets dropped before they could be told apart by instance (checksum, TTL, length...).
    json interfaces = json::array();
    for (const auto& [interface, drops] : parts.engine.interface_drops())
        interfaces.push_back({{"name", interface}, {"drops", drops_of(drops)}});
    doc["interfaces"] = std::move(interfaces);

    std::size_t destinations = 0;
    for (const auto& [key, vs] : parts.ipvs.known()) destinations += vs.destinations.size();
    doc["ipvs"] = {{"available", parts.ipvs.available()},
                   {"services", parts.ipvs.known().size()},
                   {"destinations", destinations},
                   {"reconciles", parts.ipvs.reconciles()},
                   {"changes_applied", parts.ipvs.changes_applied()},
                   {"refusals", parts.ipvs.refusals()},
                   {"sync_daemon", parts.ipvs.sync_daemon_role()}};
    return doc;
}

json status_pool(const Parts& parts, std::size_t i, const CheckViews& checks) {
    const auto& desired = parts.ipvs.desired();
    const auto& pool = desired.pools().all()[i];
    json members = json::array();
    for (std::size_t j = 0; j < pool.members.size(); ++j) {
        const auto& member = pool.members[j];
        const auto* kernel =
            ipvs::find_destination(parts.ipvs.known(), pool.service.key, member.destination);
        auto chosen = desired.operator_weight(i, j);
        json rs = {{"address", member.name},
                   {"weight", member.destination.weight},
                   {"operator_weight", chosen ? json(*chosen) : json(nullptr)},
                   {"health", desired.health(i, j)},
                   {"kernel_weight", kernel ? json(kernel->weight) : json(nullptr)},
                   {"active_connections", kernel ? kernel->active_connections : 0},
                   {"inactive_connections", kernel ? kernel->inactive_connections : 0}};
        auto check = checks.find(pool.name + '\0' + member.name);
        if (check != checks.end()) {
            const auto& v = check->second;
            rs["check"] = {{"kind", v.kind},
                           {"decided", v.decided},
                           {"last_ok", v.last.ok},
                           {"last_reason", v.last.reason},
                           {"latency_ms", static_cast<double>(v.last.latency.count()) / 1000.0}};
        } else {
            rs["check"] = nullptr;
            if (desired.health(i, j) == "up") rs["health"] = "unchecked";
        }
        members.push_back(std::move(rs));
    }
    return {{"name", pool.name},
            {"service", describe(pool.service.key)},
            {"scheduler", pool.service.scheduler},
            {"vrrp_instance", pool.vrrp_instance},
            {"in_kernel", parts.ipvs.known().contains(pool.service.key)},
            {"quorum", desired.quorum(i)},
            {"sorry_server", pool.sorry ? json(describe(*pool.sorry)) : json(nullptr)},
            {"real_servers", std::move(members)}};
}

std::string metrics_header(const Parts& parts) {
    Exposition out;
    out.family("directord_build_info", "gauge", "Version of the running directord.");
    out.sample("directord_build_info", fmt::format("version=\"{}\"", DIRECTORD_VERSION), 1);
    out.family("directord_start_time_seconds", "gauge", "When directord started (Unix time).");
    out.sample("directord_start_time_seconds", "",
               std::chrono::duration<double>(parts.info.started.time_since_epoch()).count());
    out.family("directord_reloads_total", "counter", "Configuration reloads applied.");
    out.sample("directord_reloads_total", "", static_cast<double>(parts.info.reloads));
    out.family("directord_reload_failures_total", "counter",
               "Reloads rejected (invalid file; the running configuration stayed).");
    out.sample("directord_reload_failures_total", "",
               static_cast<double>(parts.info.reload_failures));

    out.family("directord_control_requests_rejected_total", "counter",
               "Control-socket requests that could not be served (malformed, wrong arguments).");
    out.sample("directord_control_requests_rejected_total", "",
               static_cast<double>(parts.info.control_rejected));

    const auto& instances = parts.engine.instances();
    auto per_instance = [&](std::string_view name, std::string_view type, std::string_view help,
                            auto value) {
        out.family(name, type, help);
        for (const auto& [instance_name, instance] : instances)
            out.sample(name, fmt::format("instance=\"{}\"", label(instance_name)),
                       static_cast<double>(value(*instance)));
    };
    out.family("directord_vrrp_state", "gauge",
               "1 for the state each VRRP instance is in (initialize, backup, master, fault).");
    for (const auto& [name, instance] : instances)
        for (auto state : {vrrp::State::initialize, vrrp::State::backup, vrrp::State::master,
                           vrrp::State::fault})
            out.sample("directord_vrrp_state",
                       fmt::format("instance=\"{}\",state=\"{}\"", label(name), to_string(state)),
                       instance->state() == state ? 1 : 0);
    per_instance("directord_vrrp_priority", "gauge", "Effective VRRP priority.",
                 [](const vrrp::Instance& i) { return i.effective_priority(); });
    per_instance("directord_vrrp_base_priority", "gauge", "Configured VRRP priority.",
                 [](const vrrp::Instance& i) { return i.config().priority; });
    per_instance("directord_vrrp_adverts_sent_total", "counter", "VRRP adverts sent.",
                 [](const vrrp::Instance& i) { return i.counters().adverts_sent; });
    per_instance("directord_vrrp_adverts_received_total", "counter",
                 "VRRP adverts received and accepted.",
                 [](const vrrp::Instance& i) { return i.counters().adverts_received; });
    per_instance("directord_vrrp_transitions_total", "counter", "VRRP state transitions.",
                 [](const vrrp::Instance& i) { return i.counters().transitions; });
    per_instance("directord_vrrp_became_master_total", "counter", "Transitions to MASTER.",
                 [](const vrrp::Instance& i) { return i.counters().became_master; });
    per_instance("directord_vrrp_vips_restored_total", "counter",
                 "VIPs another program removed while MASTER, put back.",
                 [](const vrrp::Instance& i) { return i.counters().vips_restored; });
    per_instance("directord_vrrp_stray_vips_total", "counter",
                 "VIPs of ours another program added while not MASTER (removed unless "
                 "stray_vips: warn).",
                 [](const vrrp::Instance& i) { return i.counters().stray_vips; });
    per_instance("directord_vrrp_lower_priority_ignored_total", "counter",
                 "Adverts of a lower-priority master ignored while preempting it.",
                 [](const vrrp::Instance& i) { return i.lower_priority_ignored(); });
    per_instance("directord_vrrp_answers_rate_limited_total", "counter",
                 "Answers to other routers' adverts not sent: at most one per quarter interval.",
                 [](const vrrp::Instance& i) { return i.answers_limited(); });
    out.family("directord_vrrp_adverts_dropped_total", "counter",
               "VRRP packets dropped, by instance (or interface, before demultiplexing) and "
               "reason.");
    auto interface_drops = parts.engine.interface_drops();
    for (std::size_t r = 0; r < static_cast<std::size_t>(vrrp::DropReason::count_); ++r) {
        auto reason = to_string(static_cast<vrrp::DropReason>(r));
        for (const auto& [name, instance] : instances)
            out.sample("directord_vrrp_adverts_dropped_total",
                       fmt::format("instance=\"{}\",reason=\"{}\"", label(name), reason),
                       static_cast<double>(instance->counters().drops[r]));
        for (const auto& [interface, drops] : interface_drops)
            if (drops[r])
                out.sample("directord_vrrp_adverts_dropped_total",
                           fmt::format("interface=\"{}\",reason=\"{}\"", label(interface), reason),
                           static_cast<double>(drops[r]));
    }

    return out.take();
}

RealServerFamilies::RealServerFamilies() {
    up.family("directord_real_server_up", "gauge",
              "1 while the real server is up (unchecked servers: 1).");
    latency.family("directord_real_server_check_latency_seconds", "gauge",
                   "Latency of the real server's last check.");
    weight.family("directord_real_server_weight", "gauge",
                  "The real server's weight in the kernel's IPVS table (absent: not in it).");
    operator_weight.family("directord_real_server_operator_weight", "gauge",
                           "The weight an operator set (0: drained), kept across reloads and "
                           "restarts (absent: the configured weight).");
}

std::string RealServerFamilies::take() {
    return up.take() + latency.take() + weight.take() + operator_weight.take();
}

void metrics_pool(const Parts& parts, std::size_t i, const CheckViews& checks,
                  RealServerFamilies& out) {
    const auto& desired = parts.ipvs.desired();
    const auto& pool = desired.pools().all()[i];
    for (std::size_t j = 0; j < pool.members.size(); ++j) {
        const auto& member = pool.members[j];
        auto labels = fmt::format("virtual_server=\"{}\",real_server=\"{}\"", label(pool.name),
                                  label(member.name));
        out.up.sample("directord_real_server_up", labels, desired.health(i, j) == "up" ? 1 : 0);
        auto c = checks.find(pool.name + '\0' + member.name);
        if (c != checks.end() && c->second.decided)
            out.latency.sample("directord_real_server_check_latency_seconds", labels,
                               seconds(c->second.last.latency));
        if (const auto* k =
                ipvs::find_destination(parts.ipvs.known(), pool.service.key, member.destination))
            out.weight.sample("directord_real_server_weight", labels, k->weight);
        if (auto chosen = desired.operator_weight(i, j))
            out.operator_weight.sample("directord_real_server_operator_weight", labels, *chosen);
    }
}

std::string metrics_rest(const Parts& parts) {
    Exposition rest;
    const auto& stats = parts.checker.stats();
    rest.family("directord_check_duration_seconds", "histogram",
                "Duration of every check probe (retries included), by kind.");
    for (const auto& [kind, h] : stats.latency()) {
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < healthcheck::CheckStats::kBounds.size(); ++b) {
            cumulative += h.buckets[b];
            rest.sample(
                "directord_check_duration_seconds_bucket",
                fmt::format("kind=\"{}\",le=\"{}\"", kind, healthcheck::CheckStats::kBounds[b]),
                static_cast<double>(cumulative));
        }
        rest.sample("directord_check_duration_seconds_bucket",
                    fmt::format("kind=\"{}\",le=\"+Inf\"", kind), static_cast<double>(h.count));
        rest.sample("directord_check_duration_seconds_sum", fmt::format("kind=\"{}\"", kind),
                    h.sum_seconds);
        rest.sample("directord_check_duration_seconds_count", fmt::format("kind=\"{}\"", kind),
                    static_cast<double>(h.count));
    }
    rest.family("directord_check_failures_total", "counter",
                "Failed check probes (retries included), by kind and reason.");
    for (const auto& [kind, reasons] : stats.failures())
        for (const auto& [reason, count] : reasons)
            rest.sample("directord_check_failures_total",
                        fmt::format("kind=\"{}\",reason=\"{}\"", kind, label(reason)),
                        static_cast<double>(count));
    rest.family("directord_ipvs_available", "gauge", "1 when the kernel has IPVS.");
    rest.sample("directord_ipvs_available", "", parts.ipvs.available() ? 1 : 0);
    rest.family("directord_ipvs_changes_applied_total", "counter",
                "Changes the kernel's IPVS table accepted.");
    rest.sample("directord_ipvs_changes_applied_total", "",
                static_cast<double>(parts.ipvs.changes_applied()));
    rest.family("directord_ipvs_refusals_total", "counter", "Changes the kernel refused.");
    rest.sample("directord_ipvs_refusals_total", "", static_cast<double>(parts.ipvs.refusals()));
    rest.family("directord_ipvs_sync_daemon_master", "gauge",
                "1 while the connection-sync daemon runs as master.");
    rest.sample("directord_ipvs_sync_daemon_master", "",
                parts.ipvs.sync_daemon_role() == "master" ? 1 : 0);
    return rest.take();
}

}  // namespace directord::daemon
