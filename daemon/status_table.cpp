#include "status_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace directord::daemon {
namespace {

using nlohmann::json;

// Columns padded to their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    for (const auto& row : rows) {
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
        fmt::print("{}\n", line);
    }
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), ::toupper);
    return text;
}

std::string duration(long seconds) {
    if (seconds < 60) return fmt::format("{}s", seconds);
    if (seconds < 3600) return fmt::format("{}m{}s", seconds / 60, seconds % 60);
    if (seconds < 86400) return fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
    return fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string text_of(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// The engine's sessions: "10.0.1.1 Established, 10.0.9.1 Active", or "none".
std::string peers_listed(const json& sessions) {
    std::string listed;
    for (const auto& x : sessions)
        listed += fmt::format("{}{} {}", listed.empty() ? "" : ", ", text_of(x["peer"]),
                              text_of(x["state"]));
    return listed.empty() ? "none" : listed;
}
}  // namespace

void print_status(const json& s) {
    const auto& d = s["daemon"];
    fmt::print("directord {}, pid {}, up {}, config {} (router_id {}), reloads {} ({} rejected)\n",
               text_of(d["version"]), text_of(d["pid"]), duration(d["uptime_seconds"].get<long>()),
               text_of(d["config_file"]),
               d["router_id"].get<std::string>().empty() ? "-" : d["router_id"].get<std::string>(),
               text_of(d["reloads"]), text_of(d["reload_failures"]));
    if (const auto& lag = d["loop_lag"]; lag["samples"].get<long>() > 0)
        fmt::print("loop lag: 99% within {}, max {:.1f} ms ({} probes)\n",
                   lag["p99_seconds_at_most"].is_null()
                       ? std::string("5 s (beyond)")
                       : fmt::format("{:g} ms", lag["p99_seconds_at_most"].get<double>() * 1000),
                   lag["max_seconds"].get<double>() * 1000, text_of(lag["samples"]));
    if (const auto& turns = d["check_turns"]; turns["samples"].get<long>() > 0)
        fmt::print("check work: longest turn {:.1f} ms ({} turns)\n",
                   turns["max_seconds"].get<double>() * 1000, text_of(turns["samples"]));
    if (!s["maintenance"]["file"].is_null())
        fmt::print("maintenance: {} ({})\n", s["maintenance"]["active"].get<bool>() ? "ON" : "off",
                   text_of(s["maintenance"]["file"]));
    if (!s["instances"].empty()) {
        std::vector<std::vector<std::string>> rows{
            {"INSTANCE", "INTERFACE", "VRID", "STATE", "PRIORITY", "BASE", "WHY"}};
        for (const auto& i : s["instances"]) {
            std::string why;
            for (const auto& r : i["reasons"])
                why += (why.empty() ? "" : "; ") + r.get<std::string>();
            rows.push_back({text_of(i["name"]), text_of(i["interface"]), text_of(i["vrid"]),
                            upper(text_of(i["state"])), text_of(i["priority"]),
                            text_of(i["base_priority"]), why.empty() ? "-" : why});
        }
        fmt::print("\n");
        print_table(rows, "");
    }
    if (s.contains("bgp") && !s["bgp"].is_null()) {
        std::vector<std::vector<std::string>> rows{{"VIP", "BGP", "WITHDRAWALS", "WHY"}};
        for (const auto& v : s["bgp"]["vips"])
            rows.push_back({text_of(v["address"]),
                            v["announced"].get<bool>() ? "ANNOUNCED" : "withdrawn",
                            text_of(v["withdrawals"]), text_of(v["reason"])});
        fmt::print("\nbgp (engine {}, routes of protocol {}):\n", text_of(s["bgp"]["engine"]),
                   text_of(s["bgp"]["route_protocol"]));
        print_table(rows, "");
        const auto& engine = s["bgp"]["engine_status"];
        if (engine.contains("sessions")) {
            fmt::print("engine sessions: {}{}\n", peers_listed(engine["sessions"]),
                       engine["error"].is_null() ? "" : " (" + text_of(engine["error"]) + ")");
            if (engine.contains("bfd") && !engine["bfd"].empty())
                fmt::print("engine BFD: {}\n", peers_listed(engine["bfd"]));
        }
    }
    for (const auto& vs : s["virtual_servers"]) {
        // A group: its first service and how many more, and how many are in the kernel.
        const auto services = vs["services"].size();
        const auto in_kernel = vs["services_in_kernel"].get<std::size_t>();
        fmt::print(
            "\nvirtual server {}: {}{} {}, quorum {}, {}{}\n", text_of(vs["name"]),
            text_of(vs["service"]),
            services > 1 ? fmt::format(" and {} more services", services - 1) : "",
            text_of(vs["scheduler"]), text_of(vs["quorum"]),
            in_kernel == services ? "in the kernel"
            : in_kernel == 0      ? "not in the kernel"
                             : fmt::format("{} of {} services in the kernel", in_kernel, services),
            vs["sorry_server"].is_null() ? "" : ", sorry server " + text_of(vs["sorry_server"]));
        std::vector<std::vector<std::string>> rows{
            {"REAL SERVER", "HEALTH", "WEIGHT", "IN KERNEL", "ACTIVE", "INACTIVE", "LAST CHECK"}};
        for (const auto& rs : vs["real_servers"]) {
            std::string last = "-";
            if (!rs["check"].is_null()) {
                const auto& c = rs["check"];
                last = c["decided"].get<bool>()
                           ? fmt::format("{} {}: {} ({:.1f} ms)", text_of(c["kind"]),
                                         c["last_ok"].get<bool>() ? "ok" : "failed",
                                         text_of(c["last_reason"]), c["latency_ms"].get<double>())
                           : fmt::format("{}: waiting for the first result", text_of(c["kind"]));
            }
            if (const auto& f = rs["file_check"]; !f.is_null())
                last = fmt::format(
                    "{}{}{}", last == "-" ? "" : last + "; ", text_of(f["reason"]),
                    f["down"].get<bool>() ? " (down)"
                    : f["weight_change"] != 0
                        ? fmt::format(" (weight {:+d})", f["weight_change"].get<std::int64_t>())
                        : "");
            auto weight = text_of(rs["weight"]);
            if (!rs["operator_weight"].is_null())
                weight =
                    rs["operator_weight"] == 0
                        ? fmt::format("drained ({})", weight)
                        : fmt::format("{} (operator; {})", text_of(rs["operator_weight"]), weight);
            rows.push_back({text_of(rs["address"]), text_of(rs["health"]), weight,
                            rs["kernel_weight"].is_null() ? "-" : text_of(rs["kernel_weight"]),
                            text_of(rs["active_connections"]), text_of(rs["inactive_connections"]),
                            last});
        }
        print_table(rows, "  ");
    }
    const auto& ipvs = s["ipvs"];
    fmt::print("\nipvs: ");
    if (!ipvs["available"].get<bool>())
        fmt::print("not available in this kernel\n");
    else
        fmt::print("{} services, {} destinations; {} changes applied, {} refused; sync daemon {}\n",
                   text_of(ipvs["services"]), text_of(ipvs["destinations"]),
                   text_of(ipvs["changes_applied"]), text_of(ipvs["refusals"]),
                   text_of(ipvs["sync_daemon"]));
}

}  // namespace directord::daemon
