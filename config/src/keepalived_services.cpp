#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <set>

#include "keepalived_convert.hpp"

namespace directord::config::detail {
namespace {

std::string endpoint(const std::string& address, const std::string& port) {
    return address.find(':') != std::string::npos ? fmt::format("\"[{}]:{}\"", address, port)
                                                  : fmt::format("{}:{}", address, port);
}

// UDP_CHECK, DNS_CHECK, PING_CHECK and SMTP_CHECK, as the kind's part of `check: { ... }`.
std::string service_check_of(const Statement& c, ImportNotes& notes) {
    if (c.keyword == "PING_CHECK") return "ping: {}";
    if (c.keyword == "SMTP_CHECK") {
        // keepalived 2.2.7 says HELO with this name unless told otherwise.
        auto helo = c.child("helo_name");
        return "smtp: { helo_name: " +
               yaml_string(helo ? helo->arg(0) : "smtpchecker.keepalived.org") + " }";
    }
    if (c.keyword == "DNS_CHECK") {
        // keepalived 2.2.7 asks for the root's SOA over UDP unless told otherwise.
        auto name = c.child("name");
        auto type = c.child("type");
        return fmt::format("dns: {{ name: {}, type: {} }}",
                           yaml_string(name && !name->arg(0).empty() ? name->arg(0) : "."),
                           type ? type->arg(0) : "SOA");
    }
    std::vector<std::string> keys;
    if (auto payload = c.child("payload"))
        keys.push_back("payload_hex: " + yaml_string(payload->joined()));
    if (auto reply = c.child("require_reply")) {
        if (reply->args.empty()) {
            keys.push_back("require_reply: true");
        } else {
            keys.push_back("reply_hex: " + yaml_string(reply->joined()));
            notes.note(*reply,
                       "the reply must begin with all of these bytes (keepalived also took a "
                       "shorter reply that matched as far as it went)");
        }
    }
    return keys.empty() ? "udp: {}" : fmt::format("udp: {{ {} }}", fmt::join(keys, ", "));
}

// A FILE_CHECK as the inside of `file_check: { ... }`: its track_file's path, and its own
// weight or else the track file's.
std::optional<std::string> file_check_of(const Statement& c, const TrackFiles& files,
                                         ImportNotes& notes) {
    const Statement* name = c.child("track_file");
    auto file = name ? files.find(name->arg(0)) : files.end();
    if (file == files.end()) {
        notes.skip(c, name ? "no track_file " + name->arg(0) : "no track_file named");
        return std::nullopt;
    }
    TrackFile f = file->second;
    for (const auto& s : c.children) {
        if (s.keyword == "weight") {
            f.weight = s.arg(0);
            f.reverse = s.arg(1) == "reverse";
        } else if (s.keyword != "track_file") {
            notes.skip(s, "not supported in a FILE_CHECK");
        }
    }
    std::string out = "path: " + yaml_string(f.path) + ", weight: " + f.weight;
    if (f.reverse) out += ", reverse: true";
    return out;
}

// keepalived's per-event scripts (quorum_up / quorum_down, a real server's notify_up /
// notify_down) as directord's one notify program: a /bin/sh dispatcher on the event and the
// real server, running each script on its own event as keepalived did.
struct NotifyScripts {
    std::vector<std::pair<std::string, std::string>> cases;  // "EVENT REAL_SERVER", command

    void add(const std::string& event, const std::string& real_server, const Statement& s) {
        cases.emplace_back(event + " " + real_server, s.joined());
    }
    std::string yaml() const {
        std::string script = "case \"$DIRECTORD_EVENT ${DIRECTORD_REAL_SERVER:-}\" in";
        for (const auto& [key, command] : cases)
            script += fmt::format(" '{}') exec {} ;;", key, command);
        return "notify: [\"/bin/sh\", \"-c\", " + yaml_string(script + " esac") + "]";
    }
};

// "address:port" as directord names a real server ("[v6]:port").
std::string real_server_name(const std::string& address, const std::string& port) {
    return address.find(':') == std::string::npos ? address + ":" + port
                                                  : "[" + address + "]:" + port;
}

// One real server's check, as the inside of `check: { ... }`; none when not convertible.
std::optional<std::string> check_of(const Statement& c, const std::string& interval,
                                    const std::string& virtualhost, ImportNotes& notes) {
    static const std::set<std::string> kinds{"TCP_CHECK", "HTTP_GET",  "SSL_GET",    "MISC_CHECK",
                                             "UDP_CHECK", "DNS_CHECK", "PING_CHECK", "SMTP_CHECK"};
    if (!kinds.contains(c.keyword)) {
        notes.skip(c, "this checker is not supported: the real server is left unchecked");
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
            notes.note(s,
                       "keepalived 2.2.7 reads nb_get_retry only in HTTP_GET and SSL_GET: here "
                       "it is ignored and the check keeps keepalived's default retry");
        else if (k == "delay_before_retry")
            delay = s.arg(0);
        else if (k == "url" || k == "misc_path" || k == "bindto" || k == "misc_dynamic" ||
                 k == "payload" || k == "require_reply" || k == "type" || k == "name" ||
                 k == "helo_name")
            continue;
        else
            notes.skip(s, "not supported in a check");
    }
    if (c.keyword == "TCP_CHECK") {
        auto bind = c.child("bindto");
        kind = bind ? "tcp: { bind: " + bind->arg(0) + " }" : "tcp: {}";
    } else if (c.keyword == "MISC_CHECK") {
        auto path = c.child("misc_path");
        if (!path) {
            notes.skip(c, "no misc_path");
            return std::nullopt;
        }
        bool shell = false;
        kind = "script: { run: " + argv_of(path->joined(), shell) + " }";
        if (shell) notes.note(*path, "misc_path runs through /bin/sh -c, as keepalived did");
        if (c.child("misc_dynamic"))
            notes.note(c, "misc_dynamic: exit codes do not set weights; 0 = up, else down");
    } else if (c.keyword == "UDP_CHECK" || c.keyword == "DNS_CHECK" || c.keyword == "PING_CHECK" ||
               c.keyword == "SMTP_CHECK") {
        kind = service_check_of(c, notes);
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
                    notes.skip(p, "only path and status_code are checked");
            }
        }
        if (urls > 1) notes.note(c, "only the first url is checked");
        kind = "http: { path: " + yaml_string(path);
        if (!status.empty()) kind += ", status: " + status;
        if (!virtualhost.empty()) kind += ", host: " + yaml_string(virtualhost);
        if (c.keyword == "SSL_GET") kind += ", tls: true, verify: false";
        kind += " }";
    }
    // keepalived 2.2.7's defaults, written out so the check behaves the same here: one retry
    // (none for MISC_CHECK, three for DNS_CHECK), 1 s before it (3 s for HTTP_GET and SSL_GET).
    if (retries.empty())
        retries = c.keyword == "MISC_CHECK" ? "0" : c.keyword == "DNS_CHECK" ? "3" : "1";
    if (delay.empty()) delay = http ? "3" : "1";
    std::string out = kind;
    if (!port.empty()) out += ", port: " + port;
    out += ", interval: " + seconds(interval) + ", timeout: " + seconds(timeout);
    out += ", retries: " + retries;
    if (retries != "0") out += ", retry_delay: " + seconds(delay);
    return out;
}

}  // namespace

// Entries: "ADDRESS[-LAST|/PREFIX] PORT" (directord reads the same ranges) or "fwmark N
// [inet|inet6]" (the real servers give the family). No port (0) is an all-ports service,
// which directord does not make.
std::string convert_group(const Statement& block, ImportNotes& notes) {
    std::string entries;
    for (const auto& e : block.children) {
        std::string entry;
        if (e.keyword == "fwmark" && !e.arg(0).empty()) {
            entry = "{ fwmark: " + e.arg(0) + " }";
        } else if (e.keyword != "fwmark" && !e.arg(0).empty() &&
                   e.arg(0).find_first_not_of('0') != std::string::npos) {
            entry = "{ address: " + yaml_string(e.keyword) + ", port: " + e.arg(0) + " }";
        } else {
            notes.skip(e, "a group entry needs a port (directord makes no all-ports services)");
            continue;
        }
        entries += (entries.empty() ? "" : ", ") + entry;
    }
    return "[" + entries + "]";
}

std::string convert_virtual_server(const Statement& block, const TrackFiles& files,
                                   const ServiceGroups& groups, ImportNotes& notes) {
    std::vector<std::string> lines;
    if (block.arg(0) == "fwmark") {
        lines.push_back("fwmark: " + block.arg(1));
    } else if (block.arg(0) == "group") {
        auto group = groups.find(block.arg(1));
        if (group == groups.end()) {
            notes.skip(block, "no virtual_server_group named '" + block.arg(1) + "'");
            return {};
        }
        lines.push_back("name: " + yaml_string(block.arg(1)));
        lines.push_back("group: " + group->second);
    } else if (block.args.size() == 2) {
        lines.push_back("address: " + endpoint(block.arg(0), block.arg(1)));
    } else {
        notes.skip(block, "expected an address and a port, fwmark N or group NAME");
        return {};
    }
    std::string interval = "60", virtualhost;  // keepalived's defaults
    for (const auto& s : block.children) {
        if (s.keyword == "delay_loop") interval = s.arg(0);
        if (s.keyword == "virtualhost") virtualhost = s.arg(0);
    }
    struct Real {
        std::string address, weight, thresholds;
        std::optional<std::string> check;
        std::optional<std::string> file_check;
        bool inhibit = false;
    };
    std::vector<Real> reals;
    bool alpha = false;
    std::string persistence;
    NotifyScripts scripts;
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
            lines.push_back("protocol: " + lower(s.arg(0)));
        } else if (k == "persistence_timeout") {
            persistence = "timeout: " + seconds(s.arg(0)) + persistence;
        } else if (k == "persistence_granularity") {
            // IPv6 services take a prefix length, IPv4 ones a netmask.
            bool prefix = s.arg(0).find('.') == std::string::npos;
            persistence += (prefix ? ", prefix: " : ", netmask: ") + s.arg(0);
        } else if (k == "persistence_engine") {
            persistence += ", engine: " + s.arg(0);
        } else if (k == "sorry_server") {
            lines.push_back("sorry_server: " + endpoint(s.arg(0), s.arg(1)));
        } else if (k == "quorum") {
            lines.push_back("quorum: " + s.arg(0));
        } else if (k == "hysteresis") {
            lines.push_back("quorum_hysteresis: " + s.arg(0));
        } else if (k == "alpha") {
            alpha = true;
        } else if (k == "quorum_up" || k == "quorum_down") {
            scripts.add(k == "quorum_up" ? "quorum_reached" : "quorum_lost", "", s);
        } else if (k == "real_server") {
            Real r{endpoint(s.arg(0), s.arg(1)), "1", "", std::nullopt, std::nullopt, false};
            for (const auto& c : s.children) {
                if (c.keyword == "weight")
                    r.weight = c.arg(0);
                else if (c.keyword == "uthreshold")
                    r.thresholds += ", upper_threshold: " + c.arg(0);
                else if (c.keyword == "lthreshold")
                    r.thresholds += ", lower_threshold: " + c.arg(0);
                else if (c.keyword == "inhibit_on_failure")
                    r.inhibit = true;
                else if (c.keyword == "FILE_CHECK")
                    r.file_check = file_check_of(c, files, notes);
                else if (c.keyword.ends_with("_CHECK") || c.keyword.ends_with("_GET"))
                    r.check = check_of(c, interval, virtualhost, notes);
                else if (c.keyword == "notify_up" || c.keyword == "notify_down")
                    scripts.add(c.keyword == "notify_up" ? "real_server_up" : "real_server_down",
                                real_server_name(s.arg(0), s.arg(1)), c);
                else
                    notes.skip(c, "not supported for a real server");
            }
            reals.push_back(r);
        } else {
            notes.skip_setting(s);
        }
    }
    // keepalived gives a granularity without a timeout its default of 6 minutes.
    if (persistence.starts_with(", ") && persistence.find("engine") == std::string::npos) {
        persistence = "timeout: 360s" + persistence;
        notes.note(block,
                   "persistence_granularity without persistence_timeout: keepalived's "
                   "6 minutes written out");
    } else if (persistence.starts_with(", ")) {
        notes.skip(block, "persistence_engine without persistence_timeout");
        persistence.clear();
    }
    if (!persistence.empty()) lines.push_back("persistence: { " + persistence + " }");
    if (!scripts.cases.empty()) {
        lines.push_back(scripts.yaml());
        notes.note(block,
                   "quorum_up/down and notify_up/down: one notify program, a /bin/sh dispatcher "
                   "on DIRECTORD_EVENT, runs each script on its event");
    }
    auto inhibited = std::count_if(reals.begin(), reals.end(), [](auto& r) { return r.inhibit; });
    if (inhibited) {
        lines.push_back("on_failure: inhibit");
        if (inhibited != static_cast<long>(reals.size()))
            notes.note(block,
                       "inhibit_on_failure on some real servers: directord sets it per "
                       "virtual server, here for all");
    }
    if (!alpha && std::any_of(reals.begin(), reals.end(), [](auto& r) { return r.check; }))
        notes.note(block,
                   "real servers enter the service after their first successful check "
                   "(keepalived's alpha); add `initial: up` to the check for keepalived's "
                   "default");
    // One check shared by every real server goes on the service.
    bool shared = !reals.empty() && reals.front().check &&
                  std::all_of(reals.begin(), reals.end(),
                              [&](auto& r) { return r.check == reals.front().check; });
    if (shared) lines.push_back("check: { " + *reals.front().check + " }");
    std::string services = "  - " + lines.front() + "\n";
    for (std::size_t i = 1; i < lines.size(); ++i) services += "    " + lines[i] + "\n";
    services += "    real_servers:\n";
    for (const auto& r : reals) {
        services += "      - { address: " + r.address + ", weight: " + r.weight + r.thresholds;
        if (r.check && !shared) services += ", check: { " + *r.check + " }";
        if (r.file_check) services += ", file_check: { " + *r.file_check + " }";
        services += " }\n";
    }
    return services;
}

}  // namespace directord::config::detail
