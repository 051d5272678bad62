#include "status.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "directord/ipvs/sloppy.hpp"
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

// A duration histogram in short: the bucket bound 99 % of the samples stayed within (null above
// the last), the largest, and how many samples.
json summary(const SecondsHistogram& h) {
    auto p99 = h.bound_holding(0.99);
    return {{"samples", h.count},
            {"p99_seconds_at_most", p99 ? json(*p99) : json(nullptr)},
            {"max_seconds", h.max_seconds}};
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

void Exposition::histogram(std::string_view name, std::string_view labels,
                           const SecondsHistogram& h) {
    const std::string prefix = labels.empty() ? "" : fmt::format("{},", labels);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < SecondsHistogram::kBounds.size(); ++b) {
        cumulative += h.buckets[b];
        sample(fmt::format("{}_bucket", name),
               fmt::format("{}le=\"{}\"", prefix, SecondsHistogram::kBounds[b]),
               static_cast<double>(cumulative));
    }
    sample(fmt::format("{}_bucket", name), fmt::format("{}le=\"+Inf\"", prefix),
           static_cast<double>(h.count));
    sample(fmt::format("{}_sum", name), labels, h.sum_seconds);
    sample(fmt::format("{}_count", name), labels, static_cast<double>(h.count));
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
                     {"control_rejected", parts.info.control_rejected},
                     {"loop_lag", summary(parts.info.loop_lag)},
                     {"check_turns", summary(parts.checker.turns())}};
    auto engine = parts.engine.status();
    doc["maintenance"] = {
        {"file", engine.maintenance_file ? json(*engine.maintenance_file) : json(nullptr)},
        {"active", engine.in_maintenance}};

    json instances = json::array();
    for (const auto& i : engine.instances) {
        const auto& c = i.counters;
        instances.push_back({{"name", i.name},
                             {"interface", i.interface},
                             {"vrid", i.vrid},
                             {"version", i.version},
                             {"state", to_string(i.state)},
                             {"priority", i.priority},
                             {"base_priority", i.base_priority},
                             {"reasons", i.reasons},
                             {"adverts_sent", c.adverts_sent},
                             {"adverts_received", c.adverts_received},
                             {"transitions", c.transitions},
                             {"became_master", c.became_master},
                             {"vips_restored", c.vips_restored},
                             {"stray_vips", c.stray_vips},
                             {"answers_rate_limited", i.answers_limited},
                             {"lower_priority_ignored", i.lower_priority_ignored},
                             {"drops", drops_of(c.drops)}});
    }
    doc["instances"] = std::move(instances);
    // Packets dropped before they could be told apart by instance (checksum, TTL, length...).
    json interfaces = json::array();
    for (const auto& [interface, drops] : engine.interface_drops)
        interfaces.push_back({{"name", interface}, {"drops", drops_of(drops)}});
    doc["interfaces"] = std::move(interfaces);

    auto ipvs = parts.ipvs.status();
    doc["ipvs"] = {{"available", ipvs.available},
                   {"services", ipvs.services},
                   {"destinations", ipvs.destinations},
                   {"reconciles", ipvs.reconciles},
                   {"changes_applied", ipvs.changes_applied},
                   {"refusals", ipvs.refusals},
                   {"sync_daemon", ipvs.sync_daemon},
                   {"sloppy_tcp", ipvs::sloppy("tcp").value_or(false)}};
    doc["bgp"] = status_bgp(parts.routes.status(), parts.engine_sessions.last());
    return doc;
}

void status_pool_open(const Parts& parts, std::size_t i, std::string& out) {
    auto status = parts.ipvs.pool_status(i, 0, 0);
    const auto& pool = status.pool;
    json services = json::array();
    for (const auto& s : pool.services) services.push_back(describe(s.key));
    json head = {{"name", pool.name},
                 {"service", describe(pool.services.front().key)},
                 {"services", services},
                 {"scheduler", pool.services.front().scheduler},
                 {"vrrp_instance", pool.vrrp_instance},
                 {"in_kernel", status.services_in_kernel == pool.services.size()},
                 {"services_in_kernel", status.services_in_kernel},
                 {"quorum", status.quorum},
                 {"sorry_server", pool.sorry ? json(describe(*pool.sorry)) : json(nullptr)}};
    out += head.dump(-1, ' ', false, json::error_handler_t::replace);
    out.pop_back();  // the closing brace: the real servers follow
    out += R"(,"real_servers":[)";
}

void status_pool_close(std::string& out) { out += "]}"; }

std::size_t status_pool_members(const Parts& parts, std::size_t i, std::size_t first,
                                std::size_t last, std::string& out) {
    auto status = parts.ipvs.pool_status(i, first, last);
    for (std::uint32_t k = 0; k < status.members.size(); ++k) {
        const auto& m = status.members[k];
        const config::RealServerId id{static_cast<std::uint32_t>(i),
                                      static_cast<std::uint32_t>(first + k)};
        json rs = {
            {"address", m.name},
            {"weight", m.weight},
            {"operator_weight", m.operator_weight ? json(*m.operator_weight) : json(nullptr)},
            {"health", m.health},
            {"kernel_weight", m.kernel ? json(m.kernel->weight) : json(nullptr)},
            {"active_connections", m.kernel ? m.kernel->active_connections : 0},
            {"inactive_connections", m.kernel ? m.kernel->inactive_connections : 0}};
        if (const auto* check = parts.checker.monitor_of(id)) {
            rs["check"] = {
                {"kind", check->kind()},
                {"decided", check->decided()},
                {"last_ok", check->last_ok()},
                {"last_reason", check->last_reason()},
                {"latency_ms", static_cast<double>(check->last_latency().count()) / 1000.0}};
        } else {
            rs["check"] = nullptr;
            if (m.health == "up") rs["health"] = "unchecked";
        }
        rs["file_check"] = nullptr;
        if (auto* file = parts.files.verdict_of(id))
            rs["file_check"] = {{"reason", file->reason},
                                {"down", file->verdict.down},
                                {"weight_change", file->verdict.weight_change}};
        if (first + k > 0) out += ',';
        out += rs.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return status.members.size();
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

    out.family("directord_loop_lag_seconds", "histogram",
               "How late the event loop ran a timer due every 100 ms (adverts and checks wait "
               "in the same queue).");
    out.histogram("directord_loop_lag_seconds", "", parts.info.loop_lag);
    out.family("directord_loop_lag_max_seconds", "gauge", "The largest loop lag since the start.");
    out.sample("directord_loop_lag_max_seconds", "", parts.info.loop_lag.max_seconds);
    out.family("directord_check_turn_seconds", "histogram",
               "How long each turn of check work (a probe started, a socket or timer callback, a "
               "result reported) held the event loop.");
    out.histogram("directord_check_turn_seconds", "", parts.checker.turns());
    out.family("directord_check_turn_max_seconds", "gauge",
               "The longest turn of check work since the start.");
    out.sample("directord_check_turn_max_seconds", "", parts.checker.turns().max_seconds);
    out.family("directord_control_requests_rejected_total", "counter",
               "Control-socket requests that could not be served (malformed, wrong arguments).");
    out.sample("directord_control_requests_rejected_total", "",
               static_cast<double>(parts.info.control_rejected));

    auto engine = parts.engine.status();
    const auto& instances = engine.instances;
    auto per_instance = [&](std::string_view name, std::string_view type, std::string_view help,
                            auto value) {
        out.family(name, type, help);
        for (const auto& i : instances)
            out.sample(name, fmt::format("instance=\"{}\"", label(i.name)),
                       static_cast<double>(value(i)));
    };
    out.family("directord_vrrp_state", "gauge",
               "1 for the state each VRRP instance is in (INIT, BACKUP, MASTER, FAULT).");
    for (const auto& i : instances)
        for (auto state : {vrrp::State::initialize, vrrp::State::backup, vrrp::State::master,
                           vrrp::State::fault})
            out.sample("directord_vrrp_state",
                       fmt::format("instance=\"{}\",state=\"{}\"", label(i.name), to_string(state)),
                       i.state == state ? 1 : 0);
    per_instance("directord_vrrp_priority", "gauge", "Effective VRRP priority.",
                 [](const vrrp::InstanceStatus& i) { return i.priority; });
    per_instance("directord_vrrp_base_priority", "gauge", "Configured VRRP priority.",
                 [](const vrrp::InstanceStatus& i) { return i.base_priority; });
    per_instance("directord_vrrp_adverts_sent_total", "counter", "VRRP adverts sent.",
                 [](const vrrp::InstanceStatus& i) { return i.counters.adverts_sent; });
    per_instance("directord_vrrp_adverts_received_total", "counter",
                 "VRRP adverts received and accepted.",
                 [](const vrrp::InstanceStatus& i) { return i.counters.adverts_received; });
    per_instance("directord_vrrp_transitions_total", "counter", "VRRP state transitions.",
                 [](const vrrp::InstanceStatus& i) { return i.counters.transitions; });
    per_instance("directord_vrrp_became_master_total", "counter", "Transitions to MASTER.",
                 [](const vrrp::InstanceStatus& i) { return i.counters.became_master; });
    per_instance("directord_vrrp_vips_restored_total", "counter",
                 "VIPs another program removed while MASTER, put back.",
                 [](const vrrp::InstanceStatus& i) { return i.counters.vips_restored; });
    per_instance("directord_vrrp_stray_vips_total", "counter",
                 "VIPs of ours another program added while not MASTER (removed unless "
                 "stray_vips: warn).",
                 [](const vrrp::InstanceStatus& i) { return i.counters.stray_vips; });
    per_instance("directord_vrrp_lower_priority_ignored_total", "counter",
                 "Adverts of a lower-priority master ignored while preempting it.",
                 [](const vrrp::InstanceStatus& i) { return i.lower_priority_ignored; });
    per_instance("directord_vrrp_answers_rate_limited_total", "counter",
                 "Answers to other routers' adverts not sent: at most one per quarter interval.",
                 [](const vrrp::InstanceStatus& i) { return i.answers_limited; });
    out.family("directord_vrrp_adverts_dropped_total", "counter",
               "VRRP packets dropped, by instance (or interface, before demultiplexing) and "
               "reason.");
    for (std::size_t r = 0; r < static_cast<std::size_t>(vrrp::DropReason::count_); ++r) {
        auto reason = to_string(static_cast<vrrp::DropReason>(r));
        for (const auto& i : instances)
            out.sample("directord_vrrp_adverts_dropped_total",
                       fmt::format("instance=\"{}\",reason=\"{}\"", label(i.name), reason),
                       static_cast<double>(i.counters.drops[r]));
        for (const auto& [interface, drops] : engine.interface_drops)
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
    quorum.family("directord_virtual_server_quorum_held", "gauge",
                  "1 while the virtual server's live weight holds its quorum, 0 once lost (absent: "
                  "undecided, before the first check results).");
}

std::vector<std::string> RealServerFamilies::take() {
    std::vector<std::string> texts;
    for (auto* family : {&up, &latency, &weight, &operator_weight, &quorum})
        texts.push_back(family->take());
    return texts;
}

std::size_t metrics_pool(const Parts& parts, std::size_t i, std::size_t first, std::size_t last,
                         RealServerFamilies& out) {
    auto status = parts.ipvs.pool_status(i, first, last);
    const auto virtual_server = fmt::format("virtual_server=\"{}\"", label(status.pool.name));
    if (first == 0 && status.quorum != "undecided")
        out.quorum.sample("directord_virtual_server_quorum_held", virtual_server,
                          status.quorum == "held" ? 1 : 0);
    for (std::uint32_t k = 0; k < status.members.size(); ++k) {
        const auto& m = status.members[k];
        auto labels = fmt::format("{},real_server=\"{}\"", virtual_server, label(m.name));
        out.up.sample("directord_real_server_up", labels, m.health == "up" ? 1 : 0);
        const auto* check = parts.checker.monitor_of(
            {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(first + k)});
        if (check && check->decided())
            out.latency.sample("directord_real_server_check_latency_seconds", labels,
                               seconds(check->last_latency()));
        if (m.kernel) out.weight.sample("directord_real_server_weight", labels, m.kernel->weight);
        if (m.operator_weight)
            out.operator_weight.sample("directord_real_server_operator_weight", labels,
                                       *m.operator_weight);
    }
    return status.members.size();
}

std::string metrics_rest(const Parts& parts) {
    Exposition rest;
    const auto& stats = parts.checker.stats();
    rest.family("directord_check_duration_seconds", "histogram",
                "Duration of every check probe (retries included), by kind.");
    for (const auto& [kind, h] : stats.latency())
        rest.histogram("directord_check_duration_seconds", fmt::format("kind=\"{}\"", kind), h);
    rest.family("directord_check_failures_total", "counter",
                "Failed check probes (retries included), by kind and reason.");
    for (const auto& [kind, reasons] : stats.failures())
        for (const auto& [reason, count] : reasons)
            rest.sample("directord_check_failures_total",
                        fmt::format("kind=\"{}\",reason=\"{}\"", kind, label(reason)),
                        static_cast<double>(count));
    auto ipvs = parts.ipvs.status();
    rest.family("directord_ipvs_available", "gauge", "1 when the kernel has IPVS.");
    rest.sample("directord_ipvs_available", "", ipvs.available ? 1 : 0);
    rest.family("directord_ipvs_changes_applied_total", "counter",
                "Changes the kernel's IPVS table accepted.");
    rest.sample("directord_ipvs_changes_applied_total", "",
                static_cast<double>(ipvs.changes_applied));
    rest.family("directord_ipvs_refusals_total", "counter", "Changes the kernel refused.");
    rest.sample("directord_ipvs_refusals_total", "", static_cast<double>(ipvs.refusals));
    rest.family("directord_ipvs_sync_daemon_master", "gauge",
                "1 while the connection-sync daemon runs as master.");
    rest.sample("directord_ipvs_sync_daemon_master", "", ipvs.sync_daemon == "master" ? 1 : 0);
    return rest.take() + metrics_bgp(parts.routes.status(), parts.engine_sessions.last());
}

}  // namespace directord::daemon
