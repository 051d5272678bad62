#include <fmt/format.h>
#include <re2/re2.h>

#include <sstream>

#include "keepalived_convert.hpp"

namespace directord::config::detail {
namespace {

// `[ -e FILE ] && exit 1 || exit 0` and its `test -f` spellings: a maintenance down-file.
std::optional<std::string> down_file_of(const std::string& command) {
    static const RE2 pattern(
        R"(\s*(?:\[\s+-[ef]\s+(\S+)\s+\]|test\s+-[ef]\s+(\S+))\s*&&\s*exit\s+1\s*\|\|\s*exit\s+0\s*;?\s*)");
    std::string bracket, test;
    if (!RE2::FullMatch(command, pattern, &bracket, &test)) return std::nullopt;
    return bracket.empty() ? test : bracket;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}
std::string lines_of(const std::vector<std::string>& items, int indent) {
    std::string out;
    for (const auto& i : items)
        out += std::string(static_cast<std::size_t>(indent), ' ') + "- " + i + "\n";
    return out;
}

}  // namespace

void VrrpConverter::script(const Statement& block) {
    Script sc;
    for (const auto& s : block.children) {
        if (s.keyword == "script") {
            sc.command = s.joined();
        } else if (s.keyword == "interval") {
            sc.interval = s.arg(0);
        } else if (s.keyword == "timeout") {
            sc.timeout = s.arg(0);
        } else if (s.keyword == "weight") {
            sc.weight = std::atoi(s.arg(0).c_str());
            if (s.args.size() > 1) notes_.skip(s, "'reverse' is not supported");
        } else if (s.keyword == "fall") {
            sc.fall = s.arg(0);
        } else if (s.keyword == "rise") {
            sc.rise = s.arg(0);
        } else {
            notes_.skip(s, "not supported in a track script");
        }
    }
    sc.down_file = down_file_of(sc.command);
    if (sc.down_file)
        notes_.note(block, fmt::format("vrrp_script {}: the down-file test became a tracked file "
                                       "{} (watched, no shell)",
                                       block.arg(0), *sc.down_file));
    bool shell = false;
    argv_of(sc.command, shell);
    if (shell)
        notes_.note(
            block,
            fmt::format("vrrp_script {}: keepalived 2.2.7 runs scripts without a shell, so "
                        "this shell syntax fails on every run there (e.g. '[' exits 2): the "
                        "keepalived node runs with this script failing{} all the time. "
                        "directord runs what it means: mid-migration the two nodes' "
                        "priorities differ from what keepalived shows (docs/migration.md)",
                        block.arg(0), sc.weight ? fmt::format(" (weight {:+d})", sc.weight) : ""));
    scripts_[block.arg(0)] = sc;
}

TrackFile read_track_file(const Statement& block, ImportNotes& notes) {
    TrackFile f;
    for (const auto& s : block.children) {
        if (s.keyword == "file") {
            f.path = s.arg(0);
        } else if (s.keyword == "weight") {
            f.weight = s.arg(0);
            f.reverse = s.arg(1) == "reverse";
        } else {
            notes.skip(s, s.keyword == "init_file"
                              ? "directord never writes the file: create it before the start"
                              : "not supported in a track file");
        }
    }
    return f;
}

void VrrpConverter::instance(const Statement& block) {
    std::string name = block.arg(0), version = default_version;
    std::vector<std::string> lines;  // "key: value" inside the instance item
    std::vector<std::string> vips, excluded, peers, scripts, interfaces, files;
    std::string notify, garp;
    bool ipv6 = false;  // the family of the first VIP is the instance's, as in keepalived
    for (const auto& s : block.children) {
        const auto& k = s.keyword;
        if (k == "state") {
            if (s.arg(0) == "MASTER")
                notes_.note(s,
                            "state MASTER: every instance starts as BACKUP and the highest "
                            "priority wins the election (priority 255 = address owner starts "
                            "MASTER)");
        } else if (k == "interface") {
            lines.push_back("interface: " + yaml_string(s.arg(0)));
            interface_ = s.arg(0);
        } else if (k == "virtual_router_id") {
            lines.push_back("vrid: " + s.arg(0));
        } else if (k == "priority") {
            lines.push_back("priority: " + s.arg(0));
        } else if (k == "version") {
            version = s.arg(0);
        } else if (k == "advert_int") {
            lines.push_back("advert_interval: " + seconds(s.arg(0)));
        } else if (k == "nopreempt") {
            lines.push_back("preempt: false");
        } else if (k == "preempt_delay") {
            lines.push_back("preempt_delay: " + seconds(s.arg(0)));
        } else if (k == "authentication") {
            auto type = s.child("auth_type"), pass = s.child("auth_pass");
            if (type && type->arg(0) == "PASS" && pass) {
                std::string password = pass->arg(0);
                if (password.size() > 8) {
                    // The advert carries 8 bytes: keepalived sends the first 8 characters.
                    password.resize(8);
                    notes_.note(*pass,
                                fmt::format("auth_pass is longer than 8 characters: keepalived "
                                            "sends only '{}', which is what the peers expect",
                                            password));
                }
                lines.push_back("auth: { type: pass, password: " + yaml_string(password) + " }");
                notes_.note(s,
                            "the VRRP password is now in the YAML file: prefer password_file "
                            "(mode 0600)");
            } else {
                notes_.skip(s, "only auth_type PASS is supported (AH is not)");
            }
        } else if (k == "virtual_ipaddress") {
            for (const auto& v : s.children) {
                bool v6 = v.keyword.find(':') != std::string::npos;
                if (vips.empty()) ipv6 = v6;
                if (!vips.empty() && v6 != ipv6) {
                    // An advert carries one family: the other is held, never advertised.
                    notes_.note(v, "another family than the first VIP: moved to excluded_vips");
                    vip(v, excluded);
                } else {
                    vip(v, vips);
                }
            }
        } else if (k == "virtual_ipaddress_excluded") {
            for (const auto& v : s.children) vip(v, excluded);
        } else if (k == "track_script") {
            for (const auto& t : s.children) track_script(t, scripts, files);
        } else if (k == "track_interface") {
            for (const auto& t : s.children)
                interfaces.push_back(t.arg(0) == "weight"
                                         ? fmt::format("{{ name: {}, weight: {} }}",
                                                       yaml_string(t.keyword), t.arg(1))
                                         : yaml_string(t.keyword));
        } else if (k == "track_file") {
            for (const auto& t : s.children) {
                auto f = files_.find(t.keyword);
                if (f == files_.end()) {
                    notes_.skip(t, "no track_file of this name");
                    continue;
                }
                notes_.note(t, fmt::format("track_file {}: for an instance the file's presence "
                                           "counts (weight while present), not its content",
                                           t.keyword));
                const std::string& weight = t.arg(0) == "weight" ? t.arg(1) : f->second.weight;
                files.push_back(
                    fmt::format("{{ path: {}, weight: {} }}", yaml_string(f->second.path), weight));
            }
        } else if (k == "unicast_peer") {
            for (const auto& p : s.children) peers.push_back(p.keyword);
        } else if (k == "unicast_src_ip") {
            notes_.note(s, "unicast_src_ip: adverts leave from the interface's first address");
        } else if (k == "notify") {
            bool shell = false;
            notify = argv_of(s.joined(), shell);
            notes_.note(s,
                        "notify: the program gets DIRECTORD_INSTANCE, DIRECTORD_STATE, "
                        "DIRECTORD_PREVIOUS_STATE, DIRECTORD_PRIORITY in its environment, not "
                        "keepalived's arguments");
        } else if (k == "garp_master_delay") {
            garp += (garp.empty() ? "" : ", ") + ("repeat_delay: " + seconds(s.arg(0)));
        } else if (k == "garp_master_repeat") {
            garp += (garp.empty() ? "" : ", ") + ("count: " + s.arg(0));
        } else if (k == "garp_master_refresh") {
            garp += (garp.empty() ? "" : ", ") + ("refresh: " + seconds(s.arg(0)));
        } else {
            notes_.skip_setting(s);
        }
    }
    if (version == "2" && ipv6) {
        // keepalived runs an IPv6 instance as VRRPv3 whatever vrrp_version says.
        notes_.note(block, "IPv6 VIPs: VRRP version 3 (keepalived uses it for IPv6 too)");
        version = "3";
    }
    if (version != "2") lines.push_back("version: " + version);
    instances_ += "    - name: " + yaml_string(name) + "\n";
    for (const auto& l : lines) instances_ += "      " + l + "\n";
    if (!vips.empty()) instances_ += "      vips: [" + join(vips) + "]\n";
    if (!excluded.empty()) instances_ += "      excluded_vips: [" + join(excluded) + "]\n";
    if (!peers.empty()) instances_ += "      unicast_peers: [" + join(peers) + "]\n";
    if (!garp.empty()) instances_ += "      garp: { " + garp + " }\n";
    if (!scripts.empty() || !interfaces.empty() || !files.empty()) {
        instances_ += "      track:\n";
        if (!scripts.empty()) instances_ += "        scripts:\n" + lines_of(scripts, 10);
        if (!interfaces.empty()) instances_ += "        interfaces: [" + join(interfaces) + "]\n";
        if (!files.empty()) instances_ += "        files:\n" + lines_of(files, 10);
    }
    if (!notify.empty()) instances_ += "      notify: " + notify + "\n";
}

void VrrpConverter::vip(const Statement& v, std::vector<std::string>& vips) {
    std::string address = v.keyword, label, scope;
    bool ipv6 = address.find(':') != std::string::npos;
    for (std::size_t i = 0; i + 1 < v.args.size(); i += 2) {
        const auto& key = v.args[i];
        if (key == "label")
            label = v.args[i + 1];
        else if (key == "scope")
            scope = v.args[i + 1];
        else if (key == "dev" && v.args[i + 1] == interface_)
            continue;
        else
            notes_.note(
                v, fmt::format("VIP {}: '{} {}' is not carried over", address, key, v.args[i + 1]));
    }
    if (address.find('/') == std::string::npos) address += ipv6 ? "/128" : "/32";
    if (ipv6) address = "'" + address + "'";  // a plain YAML scalar cannot hold "::"
    if (label.empty() && scope.empty()) {
        vips.push_back(address);
        return;
    }
    std::string item = "{ address: " + address;
    if (!label.empty()) item += ", label: " + yaml_string(label);
    if (!scope.empty()) item += ", scope: " + scope;
    vips.push_back(item + " }");
}

void VrrpConverter::track_script(const Statement& t, std::vector<std::string>& scripts,
                                 std::vector<std::string>& files) {
    auto it = scripts_.find(t.keyword);
    if (it == scripts_.end()) {
        notes_.skip(t, "no vrrp_script of this name");
        return;
    }
    const Script& sc = it->second;
    int weight = t.arg(0) == "weight" ? std::atoi(t.arg(1).c_str()) : sc.weight;
    if (sc.down_file) {
        files.push_back(
            fmt::format("{{ path: {}, weight: {} }}", yaml_string(*sc.down_file), weight));
        return;
    }
    bool shell = false;
    std::string item = fmt::format("{{ name: {}, run: {}, interval: {}", yaml_string(t.keyword),
                                   argv_of(sc.command, shell), seconds(sc.interval));
    if (shell)
        notes_.note(t, "track script " + t.keyword +
                           " runs through /bin/sh -c (keepalived 2.2.7 runs it without a shell)");
    if (!sc.timeout.empty()) item += ", timeout: " + seconds(sc.timeout);
    item += fmt::format(", weight: {}", weight);
    if (!sc.fall.empty()) item += ", fall: " + sc.fall;
    if (!sc.rise.empty()) item += ", rise: " + sc.rise;
    scripts.push_back(item + " }");
}

void VrrpConverter::sync_group(const Statement& block) {
    std::vector<std::string> members;
    for (const auto& s : block.children) {
        if (s.keyword == "group") {
            for (const auto& m : s.children) members.push_back(yaml_string(m.keyword));
            for (const auto& m : s.args) members.push_back(yaml_string(m));
        } else {
            notes_.skip_setting(s);
        }
    }
    groups_ += fmt::format("    - {{ name: {}, instances: [{}] }}\n", yaml_string(block.arg(0)),
                           join(members));
}

// One real server's check, as the YAML map's inside (without the braces).

std::string VrrpConverter::yaml() const {
    if (instances_.empty() && groups_.empty()) return {};
    std::string out = "vrrp:\n";
    if (!instances_.empty()) out += "  instances:\n" + instances_;
    if (!groups_.empty()) out += "  sync_groups:\n" + groups_;
    return out;
}

}  // namespace directord::config::detail
