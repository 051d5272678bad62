#include "directord/config/changes.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace directord::config {
namespace {

class Report {
  public:
    explicit Report(Changes& out) : out_(out) {}
    void add(std::string line) {
        if (++out_.count <= Changes::kMaxLines) out_.lines.push_back(std::move(line));
    }
    void finish() {
        if (out_.count > Changes::kMaxLines)
            out_.lines.push_back(fmt::format("... and {} more", out_.count - Changes::kMaxLines));
    }

  private:
    Changes& out_;
};

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// The settings of an instance that differ, by their names in the file.
std::vector<std::string> instance_fields(const Instance& a, const Instance& b) {
    std::vector<std::string> fields;
    auto differ = [&](const char* name, bool different) {
        if (different) fields.push_back(name);
    };
    differ("interface", a.interface != b.interface);
    differ("vrid", a.vrid != b.vrid);
    differ("version", a.version != b.version);
    differ("priority", a.priority != b.priority);
    differ("advert_interval", a.advert_interval != b.advert_interval);
    differ("preempt", a.preempt != b.preempt || a.preempt_delay != b.preempt_delay);
    differ("auth", !(a.auth == b.auth));
    differ("vips", a.vips != b.vips || a.excluded_vips != b.excluded_vips);
    differ("unicast_peers", a.unicast_peers != b.unicast_peers);
    differ("track", a.track_scripts != b.track_scripts ||
                        a.track_interfaces != b.track_interfaces ||
                        a.track_files != b.track_files || a.track_checks != b.track_checks);
    differ("notify", a.notify != b.notify);
    if (fields.empty()) fields.push_back("other settings");  // garp, link_up_delay, ...
    return fields;
}

std::string endpoint_of(const RealServer& rs) { return endpoint_name(rs.address, rs.port); }

// A changed virtual server: its own settings, and its real servers by address and port.
std::string virtual_server_change(const VirtualServer& a, const VirtualServer& b) {
    std::vector<std::string> parts;
    auto settings_a = a, settings_b = b;
    settings_a.real_servers.clear();
    settings_b.real_servers.clear();
    if (!(settings_a == settings_b)) parts.push_back("settings changed");
    std::map<std::string, const RealServer*> old_members;
    for (const auto& rs : a.real_servers) old_members[endpoint_of(rs)] = &rs;
    std::size_t added = 0, changed = 0;
    for (const auto& rs : b.real_servers) {
        auto it = old_members.find(endpoint_of(rs));
        if (it == old_members.end()) {
            ++added;
            continue;
        }
        if (!(*it->second == rs)) ++changed;
        old_members.erase(it);
    }
    if (added) parts.push_back(fmt::format("{} real server(s) added", added));
    if (!old_members.empty())
        parts.push_back(fmt::format("{} real server(s) removed", old_members.size()));
    if (changed) parts.push_back(fmt::format("{} real server(s) changed", changed));
    return join(parts);
}

// Items of one kind, by name: added, removed, and changed as `change` says.
template <typename Item, typename Describe>
void compare(Report& report, const char* kind, const std::vector<Item>& before,
             const std::vector<Item>& after, Describe change) {
    std::map<std::string, const Item*> old_items;
    for (const auto& item : before) old_items[item.name] = &item;
    for (const auto& item : after) {
        auto it = old_items.find(item.name);
        if (it == old_items.end()) {
            report.add(fmt::format("{} {}: added", kind, item.name));
            continue;
        }
        auto what = change(*it->second, item);
        if (!what.empty()) report.add(fmt::format("{} {}: {}", kind, item.name, what));
        old_items.erase(it);
    }
    for (const auto& [name, item] : old_items)
        report.add(fmt::format("{} {}: removed", kind, name));
}

}  // namespace

Changes describe_changes(const Config* before, const Config& after) {
    static const Config kNothing;
    const Config& old = before ? *before : kNothing;
    Changes changes;
    Report report(changes);
    if (old.router_id != after.router_id)
        report.add(fmt::format("router_id: {} -> {}", old.router_id.empty() ? "-" : old.router_id,
                               after.router_id.empty() ? "-" : after.router_id));
    if (old.maintenance_file != after.maintenance_file) report.add("maintenance_file changed");
    if (!(old.process == after.process)) report.add("process changed");
    if (!(old.control == after.control)) report.add("control changed");
    if (!(old.ipvs == after.ipvs)) report.add("ipvs changed");
    if (!(old.bgp == after.bgp)) report.add("bgp changed");
    compare(report, "instance", old.instances, after.instances,
            [](const Instance& a, const Instance& b) {
                auto located = b;
                located.location = a.location;  // moved in the file: not a change
                return a == located ? std::string()
                                    : "changed (" + join(instance_fields(a, b)) + ")";
            });
    compare(report, "sync group", old.sync_groups, after.sync_groups,
            [](const SyncGroup& a, const SyncGroup& b) {
                return a == b ? std::string() : "members changed";
            });
    compare(report, "virtual server", old.virtual_servers, after.virtual_servers,
            [](const VirtualServer& a, const VirtualServer& b) {
                return a == b ? std::string() : virtual_server_change(a, b);
            });
    report.finish();
    return changes;
}

}  // namespace directord::config
