#include "directord/config/keepalived_import.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "keepalived_parse.hpp"

namespace directord::config {
namespace {

using detail::Statement;

// ---- Writing YAML -----------------------------------------------------------------------------

std::string yaml_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// keepalived writes seconds, possibly fractional: "1", "0.5".
std::string seconds(const std::string& value) {
    try {
        std::size_t used = 0;
        double v = std::stod(value, &used);
        // Out of range (inf, 1e300) stays as written: the loader then names it.
        if (used != value.size() || !(v >= 0 && v <= 1e6)) return yaml_string(value);
        auto ms = static_cast<long long>(v * 1000 + 0.5);
        return ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
    } catch (const std::exception&) {
        return yaml_string(value);
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    return s;
}

std::string endpoint(const std::string& address, const std::string& port) {
    return address.find(':') != std::string::npos ? fmt::format("\"[{}]:{}\"", address, port)
                                                  : fmt::format("{}:{}", address, port);
}

// A shell command as argv: split when it is a plain command, through /bin/sh -c when it uses
// the shell (keepalived ran every script through a shell).
std::string argv_of(const std::string& command, bool& through_shell) {
    through_shell = command.find_first_of("|&;<>()$`\\\"'*?[]~{}") != std::string::npos;
    std::vector<std::string> words;
    if (through_shell) {
        words = {"/bin/sh", "-c", command};
    } else {
        std::istringstream in(command);
        for (std::string w; in >> w;) words.push_back(w);
    }
    std::string out = "[";
    for (std::size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + yaml_string(words[i]);
    return out + "]";
}

// `[ -e FILE ] && exit 1 || exit 0` and its `test -f` spellings: a maintenance down-file.
std::optional<std::string> down_file_of(const std::string& command) {
    static const RE2 pattern(
        R"(\s*(?:\[\s+-[ef]\s+(\S+)\s+\]|test\s+-[ef]\s+(\S+))\s*&&\s*exit\s+1\s*\|\|\s*exit\s+0\s*;?\s*)");
    std::string bracket, test;
    if (!RE2::FullMatch(command, pattern, &bracket, &test)) return std::nullopt;
    return bracket.empty() ? test : bracket;
}

class Converter {
  public:
    explicit Converter(std::vector<ImportNote>& notes) : notes_(notes) {}

    std::string convert(const std::vector<Statement>& top) {
        // Scripts and track files first: instances refer to them by name.
        for (const auto& s : top) {
            if (s.keyword == "vrrp_script") script(s);
            if (s.keyword == "vrrp_track_file") track_file(s);
        }
        for (const auto& s : top) {
            if (s.keyword == "global_defs") {
                global(s);
            } else if (s.keyword == "vrrp_instance") {
                instance(s);
            } else if (s.keyword == "vrrp_sync_group") {
                sync_group(s);
            } else if (s.keyword == "virtual_server") {
                virtual_server(s);
            } else if (s.keyword == "virtual_server_group") {
                skip(s, "list its services as virtual servers one by one");
            } else if (s.keyword != "vrrp_script" && s.keyword != "vrrp_track_file") {
                skip(s, "no directord equivalent");
            }
        }
        std::string out = "# Converted from keepalived.conf by directorctl import-keepalived.\n";
        if (!router_id_.empty()) out += "router_id: " + yaml_string(router_id_) + "\n";
        out += process_;
        if (!instances_.empty() || !groups_.empty()) {
            out += "vrrp:\n";
            if (!instances_.empty()) out += "  instances:\n" + instances_;
            if (!groups_.empty()) out += "  sync_groups:\n" + groups_;
        }
        if (!ipvs_.empty()) out += "ipvs:\n" + ipvs_;
        if (!services_.empty()) out += "virtual_servers:\n" + services_;
        return out;
    }

  private:
    struct Script {
        std::string command;
        std::string interval = "1", timeout, fall, rise;
        int weight = 0;
        std::optional<std::string> down_file;
    };
    struct TrackFile {
        std::string path;
        int weight = 0;
    };

    void note(const Statement& s, std::string message) {
        notes_.push_back({s.file, s.line, true, std::move(message)});
    }
    void skip(const Statement& s, const std::string& why = "") {
        notes_.push_back({s.file, s.line, false, s.keyword + (why.empty() ? "" : ": " + why)});
    }
    // keepalived's per-state hooks have one counterpart: the instance's notify program.
    void skip_setting(const Statement& s) {
        skip(s, s.keyword.starts_with("notify_")
                    ? "use one notify program per instance; it gets the new state in "
                      "DIRECTORD_STATE"
                    : "no directord equivalent");
    }

    void global(const Statement& g) {
        for (const auto& s : g.children) {
            if (s.keyword == "router_id") {
                router_id_ = s.arg(0);
            } else if (s.keyword == "lvs_sync_daemon") {
                sync_daemon(s);
            } else if (s.keyword == "vrrp_version") {
                default_version_ = s.arg(0);
            } else if (s.keyword == "vrrp_priority") {
                // One loop runs VRRP and the checks: its nice value is the VRRP process's.
                process_ = "process: { nice: " + yaml_string(s.arg(0)) + " }\n";
            } else {
                skip_setting(s);
            }
        }
    }

    // lvs_sync_daemon INTERFACE VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]
    void sync_daemon(const Statement& s) {
        if (s.args.size() < 2) {
            skip(s, "needs an interface and a VRRP instance");
            return;
        }
        std::string id = "0";
        for (std::size_t i = 2; i + 1 < s.args.size(); i += 2) {
            if (s.args[i] == "id")
                id = s.args[i + 1];
            else
                note(s, fmt::format("lvs_sync_daemon {} {}: not converted (directord uses the "
                                    "kernel's default)",
                                    s.args[i], s.args[i + 1]));
        }
        ipvs_ = fmt::format("  sync_daemon: {{ interface: {}, instance: {}, sync_id: {} }}\n",
                            yaml_string(s.arg(0)), yaml_string(s.arg(1)), id);
    }

    void script(const Statement& block) {
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
                if (s.args.size() > 1) skip(s, "'reverse' is not supported");
            } else if (s.keyword == "fall") {
                sc.fall = s.arg(0);
            } else if (s.keyword == "rise") {
                sc.rise = s.arg(0);
            } else {
                skip(s, "not supported in a track script");
            }
        }
        sc.down_file = down_file_of(sc.command);
        if (sc.down_file)
            note(block, fmt::format("vrrp_script {}: the down-file test became a tracked file "
                                    "{} (watched, no shell)",
                                    block.arg(0), *sc.down_file));
        bool shell = false;
        argv_of(sc.command, shell);
        if (shell)
            note(block,
                 fmt::format("vrrp_script {}: keepalived 2.2.7 runs scripts without a shell, so "
                             "this shell syntax fails on every run there (e.g. '[' exits 2): the "
                             "keepalived node runs with this script failing{} all the time. "
                             "directord runs what it means: mid-migration the two nodes' "
                             "priorities differ from what keepalived shows (docs/migration.md)",
                             block.arg(0),
                             sc.weight ? fmt::format(" (weight {:+d})", sc.weight) : ""));
        scripts_[block.arg(0)] = sc;
    }

    void track_file(const Statement& block) {
        TrackFile f;
        for (const auto& s : block.children) {
            if (s.keyword == "file")
                f.path = s.arg(0);
            else if (s.keyword == "weight")
                f.weight = std::atoi(s.arg(0).c_str());
            else
                skip(s, "not supported in a track file");
        }
        note(block, fmt::format("vrrp_track_file {}: a tracked file is present/absent here, its "
                                "content (a weight) is not read",
                                block.arg(0)));
        files_[block.arg(0)] = f;
    }

    void instance(const Statement& block) {
        std::string name = block.arg(0), version = default_version_;
        std::vector<std::string> lines;  // "key: value" inside the instance item
        std::vector<std::string> vips, excluded, peers, scripts, interfaces, files;
        std::string notify, garp;
        bool ipv6 = false;  // the family of the first VIP is the instance's, as in keepalived
        for (const auto& s : block.children) {
            const auto& k = s.keyword;
            if (k == "state") {
                if (s.arg(0) == "MASTER")
                    note(s,
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
                        note(*pass, fmt::format("auth_pass is longer than 8 characters: keepalived "
                                                "sends only '{}', which is what the peers expect",
                                                password));
                    }
                    lines.push_back("auth: { type: pass, password: " + yaml_string(password) +
                                    " }");
                    note(s,
                         "the VRRP password is now in the YAML file: prefer password_file "
                         "(mode 0600)");
                } else {
                    skip(s, "only auth_type PASS is supported (AH is not)");
                }
            } else if (k == "virtual_ipaddress") {
                for (const auto& v : s.children) {
                    bool v6 = v.keyword.find(':') != std::string::npos;
                    if (vips.empty()) ipv6 = v6;
                    if (!vips.empty() && v6 != ipv6) {
                        // An advert carries one family: the other is held, never advertised.
                        note(v, "another family than the first VIP: moved to excluded_vips");
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
                        skip(t, "no vrrp_track_file of this name");
                        continue;
                    }
                    int weight =
                        t.arg(0) == "weight" ? std::atoi(t.arg(1).c_str()) : f->second.weight;
                    files.push_back(fmt::format("{{ path: {}, weight: {} }}",
                                                yaml_string(f->second.path), weight));
                }
            } else if (k == "unicast_peer") {
                for (const auto& p : s.children) peers.push_back(p.keyword);
            } else if (k == "unicast_src_ip") {
                note(s, "unicast_src_ip: adverts leave from the interface's first address");
            } else if (k == "notify") {
                bool shell = false;
                notify = argv_of(s.joined(), shell);
                note(s,
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
                skip_setting(s);
            }
        }
        if (version == "2" && ipv6) {
            // keepalived runs an IPv6 instance as VRRPv3 whatever vrrp_version says.
            note(block, "IPv6 VIPs: VRRP version 3 (keepalived uses it for IPv6 too)");
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
            if (!interfaces.empty())
                instances_ += "        interfaces: [" + join(interfaces) + "]\n";
            if (!files.empty()) instances_ += "        files:\n" + lines_of(files, 10);
        }
        if (!notify.empty()) instances_ += "      notify: " + notify + "\n";
    }

    void vip(const Statement& v, std::vector<std::string>& vips) {
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
                note(v, fmt::format("VIP {}: '{} {}' is not carried over", address, key,
                                    v.args[i + 1]));
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

    void track_script(const Statement& t, std::vector<std::string>& scripts,
                      std::vector<std::string>& files) {
        auto it = scripts_.find(t.keyword);
        if (it == scripts_.end()) {
            skip(t, "no vrrp_script of this name");
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
            note(t, "track script " + t.keyword +
                        " runs through /bin/sh -c (keepalived 2.2.7 runs it without a shell)");
        if (!sc.timeout.empty()) item += ", timeout: " + seconds(sc.timeout);
        item += fmt::format(", weight: {}", weight);
        if (!sc.fall.empty()) item += ", fall: " + sc.fall;
        if (!sc.rise.empty()) item += ", rise: " + sc.rise;
        scripts.push_back(item + " }");
    }

    void sync_group(const Statement& block) {
        std::vector<std::string> members;
        for (const auto& s : block.children) {
            if (s.keyword == "group") {
                for (const auto& m : s.children) members.push_back(yaml_string(m.keyword));
                for (const auto& m : s.args) members.push_back(yaml_string(m));
            } else {
                skip_setting(s);
            }
        }
        groups_ += fmt::format("    - {{ name: {}, instances: [{}] }}\n", yaml_string(block.arg(0)),
                               join(members));
    }

    // One real server's check, as the YAML map's inside (without the braces).
    std::optional<std::string> check_of(const Statement& c, const std::string& interval,
                                        const std::string& virtualhost) {
        static const std::set<std::string> kinds{"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK"};
        if (!kinds.contains(c.keyword)) {
            skip(c, "this checker is not supported: the real server is left unchecked");
            return std::nullopt;
        }
        std::string kind, port, timeout = "5", retries, delay;  // keepalived: 5 s to connect
        const bool http = c.keyword == "HTTP_GET" || c.keyword == "SSL_GET";
        for (const auto& s : c.children) {
            const auto& k = s.keyword;
            if (k == "connect_timeout" || k == "misc_timeout")
                timeout = s.arg(0);
            else if (k == "connect_port")
                port = s.arg(0);
            else if (k == "retry" || (k == "nb_get_retry" && http))
                retries = s.arg(0);
            else if (k == "nb_get_retry")
                note(s,
                     "keepalived 2.2.7 reads nb_get_retry only in HTTP_GET and SSL_GET: here "
                     "it is ignored and the check keeps keepalived's default retry");
            else if (k == "delay_before_retry")
                delay = s.arg(0);
            else if (k == "url" || k == "misc_path" || k == "bindto" || k == "misc_dynamic")
                continue;
            else
                skip(s, "not supported in a check");
        }
        if (c.keyword == "TCP_CHECK") {
            auto bind = c.child("bindto");
            kind = bind ? "tcp: { bind: " + bind->arg(0) + " }" : "tcp: {}";
        } else if (c.keyword == "MISC_CHECK") {
            auto path = c.child("misc_path");
            if (!path) {
                skip(c, "no misc_path");
                return std::nullopt;
            }
            bool shell = false;
            kind = "script: { run: " + argv_of(path->joined(), shell) + " }";
            if (shell) note(*path, "misc_path runs through /bin/sh -c, as keepalived did");
            if (c.child("misc_dynamic"))
                note(c, "misc_dynamic: exit codes do not set weights; 0 = up, else down");
        } else {  // HTTP_GET, SSL_GET
            std::string path = "/", status;
            int urls = 0;
            for (const auto& u : c.children) {
                if (u.keyword != "url" || urls++) continue;
                for (const auto& p : u.children) {
                    if (p.keyword == "path")
                        path = p.arg(0);
                    else if (p.keyword == "status_code")
                        status = p.arg(0);
                    else
                        skip(p, "only path and status_code are checked");
                }
            }
            if (urls > 1) note(c, "only the first url is checked");
            kind = "http: { path: " + yaml_string(path);
            if (!status.empty()) kind += ", status: " + status;
            if (!virtualhost.empty()) kind += ", host: " + yaml_string(virtualhost);
            if (c.keyword == "SSL_GET") kind += ", tls: true, verify: false";
            kind += " }";
        }
        // keepalived 2.2.7's defaults, written out so the check behaves the same here: one retry
        // (none for MISC_CHECK), 1 s before it (3 s for HTTP_GET and SSL_GET).
        if (retries.empty()) retries = c.keyword == "MISC_CHECK" ? "0" : "1";
        if (delay.empty()) delay = http ? "3" : "1";
        std::string out = kind;
        if (!port.empty()) out += ", port: " + port;
        out += ", interval: " + seconds(interval) + ", timeout: " + seconds(timeout);
        out += ", retries: " + retries;
        if (retries != "0") out += ", retry_delay: " + seconds(delay);
        return out;
    }

    void virtual_server(const Statement& block) {
        std::vector<std::string> lines;
        if (block.arg(0) == "fwmark") {
            lines.push_back("fwmark: " + block.arg(1));
        } else if (block.args.size() == 2) {
            lines.push_back("address: " + endpoint(block.arg(0), block.arg(1)));
        } else {
            skip(block, "expected an address and a port, or fwmark N (groups are not supported)");
            return;
        }
        std::string interval = "60", virtualhost;  // keepalived's defaults
        for (const auto& s : block.children) {
            if (s.keyword == "delay_loop") interval = s.arg(0);
            if (s.keyword == "virtualhost") virtualhost = s.arg(0);
        }
        struct Real {
            std::string address, weight;
            std::optional<std::string> check;
            bool inhibit = false;
        };
        std::vector<Real> reals;
        bool alpha = false;
        std::string persistence;
        for (const auto& s : block.children) {
            const auto& k = s.keyword;
            if (k == "delay_loop" || k == "virtualhost") {
                continue;
            } else if (k == "lb_algo" || k == "lvs_sched") {
                lines.push_back("scheduler: " + s.arg(0));
            } else if (k == "lb_kind" || k == "lvs_method") {
                auto kind = lower(s.arg(0));
                lines.push_back("forwarding: " + std::string(kind == "tun" ? "tun" : kind));
            } else if (k == "protocol") {
                if (s.arg(0) == "SCTP")
                    skip(s, "SCTP services are not supported");
                else
                    lines.push_back("protocol: " + lower(s.arg(0)));
            } else if (k == "persistence_timeout") {
                persistence = "timeout: " + seconds(s.arg(0)) + persistence;
            } else if (k == "persistence_granularity") {
                persistence += ", netmask: " + s.arg(0);
            } else if (k == "sorry_server") {
                lines.push_back("sorry_server: " + endpoint(s.arg(0), s.arg(1)));
            } else if (k == "quorum") {
                lines.push_back("quorum: " + s.arg(0));
            } else if (k == "hysteresis") {
                lines.push_back("quorum_hysteresis: " + s.arg(0));
            } else if (k == "alpha") {
                alpha = true;
            } else if (k == "real_server") {
                Real r{endpoint(s.arg(0), s.arg(1)), "1", std::nullopt, false};
                for (const auto& c : s.children) {
                    if (c.keyword == "weight")
                        r.weight = c.arg(0);
                    else if (c.keyword == "inhibit_on_failure")
                        r.inhibit = true;
                    else if (c.keyword.ends_with("_CHECK") || c.keyword.ends_with("_GET"))
                        r.check = check_of(c, interval, virtualhost);
                    else if (c.keyword.starts_with("notify_"))
                        skip(c, "use the health events in the log or the metrics");
                    else
                        skip(c, "not supported for a real server");
                }
                reals.push_back(r);
            } else {
                skip_setting(s);
            }
        }
        if (!persistence.empty()) lines.push_back("persistence: { " + persistence + " }");
        auto inhibited =
            std::count_if(reals.begin(), reals.end(), [](auto& r) { return r.inhibit; });
        if (inhibited) {
            lines.push_back("on_failure: inhibit");
            if (inhibited != static_cast<long>(reals.size()))
                note(block,
                     "inhibit_on_failure on some real servers: directord sets it per "
                     "virtual server, here for all");
        }
        if (!alpha && std::any_of(reals.begin(), reals.end(), [](auto& r) { return r.check; }))
            note(block,
                 "real servers enter the service after their first successful check "
                 "(keepalived's alpha); add `initial: up` to the check for keepalived's "
                 "default");
        // One check shared by every real server goes on the service.
        bool shared = !reals.empty() && reals.front().check &&
                      std::all_of(reals.begin(), reals.end(),
                                  [&](auto& r) { return r.check == reals.front().check; });
        if (shared) lines.push_back("check: { " + *reals.front().check + " }");
        services_ += "  - " + lines.front() + "\n";
        for (std::size_t i = 1; i < lines.size(); ++i) services_ += "    " + lines[i] + "\n";
        services_ += "    real_servers:\n";
        for (const auto& r : reals) {
            services_ += "      - { address: " + r.address + ", weight: " + r.weight;
            if (r.check && !shared) services_ += ", check: { " + *r.check + " }";
            services_ += " }\n";
        }
    }

    static std::string join(const std::vector<std::string>& items) {
        std::string out;
        for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
        return out;
    }
    static std::string lines_of(const std::vector<std::string>& items, int indent) {
        std::string out;
        for (const auto& i : items)
            out += std::string(static_cast<std::size_t>(indent), ' ') + "- " + i + "\n";
        return out;
    }

    std::vector<ImportNote>& notes_;
    std::map<std::string, Script> scripts_;
    std::map<std::string, TrackFile> files_;
    std::string router_id_, default_version_ = "2", interface_, process_;
    std::string instances_, groups_, services_, ipvs_;
};

}  // namespace

std::string ImportNote::to_string() const {
    return fmt::format("{}{}: {}{}", file, line > 0 ? fmt::format(":{}", line) : "",
                       converted ? "note: " : "not converted: ", message);
}

ImportResult import_keepalived(const std::string& path) {
    ImportResult result;
    auto statements = detail::read_statements(path, result.notes);
    if (!statements) {
        result.ok = false;
        return result;
    }
    result.yaml = Converter(result.notes).convert(*statements);
    std::stable_sort(result.notes.begin(), result.notes.end(), [](const auto& a, const auto& b) {
        return std::tie(a.file, a.line) < std::tie(b.file, b.line);
    });
    return result;
}

}  // namespace directord::config
