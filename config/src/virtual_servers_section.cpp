// The `virtual_servers`, `ipvs` and `control` sections.
#include <fmt/format.h>

#include "sections.hpp"

namespace directord::config::detail {

std::optional<Forwarding> read_forwarding(Reader& r, const YAML::Node& node,
                                          const std::string& path) {
    auto v = r.choice(node, path, {"nat", "dr", "tun"});
    if (!v) return std::nullopt;
    return *v == "nat" ? Forwarding::nat : *v == "dr" ? Forwarding::direct : Forwarding::tunnel;
}

bool instance_exists(const Config& cfg, const std::string& name) {
    return std::any_of(cfg.instances.begin(), cfg.instances.end(),
                       [&](const Instance& i) { return i.name == name; });
}

// persistence: { timeout, netmask (IPv4) or prefix (IPv6), engine: sip }. The family is
// checked once the real servers are known (a fwmark service's is theirs).
void read_persistence(Reader& r, const YAML::Node& p, const std::string& pp, VirtualServer& vs) {
    using namespace std::chrono_literals;
    if (!r.is_map(p, pp)) return;
    r.reject_unknown_keys(p, pp, {"timeout", "netmask", "prefix", "engine"});
    if (auto t = r.required(p, pp, "timeout"))
        vs.persistence =
            r.duration(t, Reader::join(pp, "timeout"), 1s, 31536000s).value_or(Duration{0});
    if (auto m = p["netmask"]) {
        auto mp = Reader::join(pp, "netmask");
        if (auto text = r.string(m, mp)) {
            boost::system::error_code ec;
            auto mask = boost::asio::ip::make_address_v4(*text, ec);
            if (ec)
                r.fail(m, mp, "'" + *text + "' is not an IPv4 netmask");
            else
                vs.persistence_netmask = mask;
        }
    }
    unsigned prefix = 0;
    r.optional_integer(p, pp, "prefix", prefix, 1, 128);
    if (prefix) vs.persistence_prefix = prefix;
    r.optional_key(p, pp, "engine", vs.persistence_engine,
                   [&](auto& n, auto path) { return r.choice(n, path, {"sip"}); });
}

// upper_threshold / lower_threshold: the kernel stops the overload at the lower one, so it
// must be below the upper (IPVS itself takes 3/4 of the upper when the lower is 0).
void read_thresholds(Reader& r, const YAML::Node& x, const std::string& rp, RealServer& rs) {
    r.optional_integer(x, rp, "upper_threshold", rs.upper_threshold, 0, 65535);
    r.optional_integer(x, rp, "lower_threshold", rs.lower_threshold, 0, 65535);
    if (rs.lower_threshold && rs.lower_threshold >= rs.upper_threshold)
        r.fail(x["lower_threshold"], Reader::join(rp, "lower_threshold"),
               rs.upper_threshold ? "must be below upper_threshold"
                                  : "needs an upper_threshold (the overload it ends)");
}

// What only makes sense for one family, refused once the family is known.
void check_family_settings(Reader& r, const YAML::Node& v, const std::string& vp,
                           const VirtualServer& vs) {
    bool v6 = serves_ipv6(vs);
    auto p = v["persistence"];
    auto pp = Reader::join(vp, "persistence");
    if (v6 && vs.persistence_netmask)
        r.fail(p["netmask"], Reader::join(pp, "netmask"),
               "an IPv6 service groups clients by prefix (prefix: 64), not netmask");
    if (!v6 && vs.persistence_prefix)
        r.fail(p["prefix"], Reader::join(pp, "prefix"),
               "an IPv4 service groups clients by netmask, not prefix");
}

// The IPVS settings of a virtual server (scheduler, forwarding, persistence, failure policy,
// sorry server, quorum, VRRP coupling).
void read_ipvs_settings(Reader& r, const YAML::Node& v, const std::string& vp, const Config& cfg,
                        VirtualServer& vs) {
    using namespace std::chrono_literals;
    r.optional_key(v, vp, "scheduler", vs.scheduler, [&](auto& n, auto p) {
        return r.choice(n, p,
                        {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh",
                         "fo", "ovf"});
    });
    if (auto list = v["scheduler_flags"]) {
        auto lp = Reader::join(vp, "scheduler_flags");
        vs.scheduler_flags =
            read_list<std::string>(r, list, lp, [&](auto& x, auto p) -> std::optional<std::string> {
                auto flag = r.choice(x, p, {"fallback", "port"});
                if (flag && vs.scheduler != "sh" && vs.scheduler != "mh") {
                    r.fail(x, p, "scheduler flags exist for the sh and mh schedulers only");
                    return std::nullopt;
                }
                return flag;
            });
    }
    r.optional_boolean(v, vp, "one_packet", vs.one_packet);
    r.optional_key(v, vp, "forwarding", vs.forwarding,
                   [&](auto& n, auto p) { return read_forwarding(r, n, p); });
    if (auto p = v["persistence"]) read_persistence(r, p, Reader::join(vp, "persistence"), vs);
    r.optional_key(v, vp, "on_failure", vs.on_failure, [&](auto& n, auto p) {
        auto inhibit = r.either(n, p, "remove", "inhibit");
        return inhibit ? std::optional(*inhibit ? OnFailure::inhibit : OnFailure::remove)
                       : std::nullopt;
    });
    if (auto n = v["sorry_server"]) {
        if (auto ep = read_endpoint(r, n, Reader::join(vp, "sorry_server")))
            vs.sorry_server = Endpoint{ep->first, ep->second};
    }
    r.optional_integer(v, vp, "quorum", vs.quorum, 1, 1 << 30);
    r.optional_integer(v, vp, "quorum_hysteresis", vs.quorum_hysteresis, 0, 1 << 30);
    if (auto n = v["vrrp_instance"]) {
        auto ip = Reader::join(vp, "vrrp_instance");
        if (auto name = r.string(n, ip)) {
            if (instance_exists(cfg, *name))
                vs.vrrp_instance = *name;
            else
                r.fail(n, ip, "no VRRP instance named '" + *name + "'");
        }
    }
}

namespace {

std::string frontend_name(const Frontend& f) {
    return f.fwmark ? fmt::format("fwmark:{}", f.fwmark) : endpoint_name(f.address, f.port);
}

// Where the virtual server takes traffic: `address`, `fwmark` or `group`, one of them.
void read_frontends(Reader& r, const YAML::Node& v, const std::string& vp, VirtualServer& vs) {
    int given = !!v["address"] + !!v["fwmark"] + !!v["group"];
    if (given != 1) {
        r.fail(v, vp,
               given ? "address, fwmark and group exclude each other (a fwmark service has no "
                       "address; a group lists its addresses and marks)"
                     : "missing key 'address' (or fwmark, or group)");
        return;
    }
    if (auto n = v["group"]) {
        auto gp = Reader::join(vp, "group");
        vs.frontends = read_group(r, n, gp);
        if (!v["name"]) r.fail(v, vp, "a group needs a name");
        const Frontend* first = address_frontend(vs);
        for (const auto& f : vs.frontends) {
            if (!f.fwmark && f.address.is_v6() != first->address.is_v6()) {
                r.fail(n, gp, "a group's addresses are all IPv4 or all IPv6");
                break;
            }
        }
        return;
    }
    Frontend f;
    r.optional_integer(v, vp, "fwmark", f.fwmark, 1, 0xffffffffLL);
    if (auto n = v["address"]) {
        auto ep = read_endpoint(r, n, Reader::join(vp, "address"));
        if (!ep) return;
        std::tie(f.address, f.port) = *ep;
    }
    if (f.fwmark || f.port) vs.frontends.push_back(f);
}

std::optional<RealServer> read_real_server(Reader& r, const YAML::Node& x, const std::string& rp,
                                           const VirtualServer& vs,
                                           std::set<std::pair<IpAddress, std::uint16_t>>& seen) {
    if (!r.is_map(x, rp)) return std::nullopt;
    r.reject_unknown_keys(x, rp,
                          {"address", "weight", "forwarding", "check", "file_check",
                           "upper_threshold", "lower_threshold"});
    RealServer rs;
    auto a = r.required(x, rp, "address");
    if (!a) return std::nullopt;
    auto ep = read_endpoint(r, a, Reader::join(rp, "address"));
    if (!ep) return std::nullopt;
    std::tie(rs.address, rs.port) = *ep;
    if (!seen.insert(*ep).second) {
        r.fail(a, Reader::join(rp, "address"), "duplicate real server in this virtual server");
        return std::nullopt;
    }
    if (const auto* f = address_frontend(vs); f && rs.address.is_v6() != f->address.is_v6()) {
        r.fail(a, Reader::join(rp, "address"),
               "a real server must be of the virtual server's address family");
        return std::nullopt;
    }
    r.optional_integer(x, rp, "weight", rs.weight, 0, 65535);
    if (auto n = x["forwarding"])
        rs.forwarding = read_forwarding(r, n, Reader::join(rp, "forwarding"));
    if (auto n = x["check"]) rs.check = read_check(r, n, Reader::join(rp, "check"));
    if (auto n = x["file_check"])
        rs.file_check = read_file_check(r, n, Reader::join(rp, "file_check"));
    read_thresholds(r, x, rp, rs);
    return rs;
}

}  // namespace

void read_virtual_servers(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "virtual_servers";
    std::map<std::string, int> names;
    // Each service once: by address, port and protocol, or by mark; and who has it.
    std::map<std::tuple<IpAddress, std::uint16_t, std::string, std::uint32_t>, std::string> taken;
    cfg.virtual_servers = read_list<VirtualServer>(
        r, node, path, [&](auto& v, auto vp) -> std::optional<VirtualServer> {
            if (!r.is_map(v, vp)) return std::nullopt;
            r.reject_unknown_keys(v, vp,
                                  {"name",
                                   "address",
                                   "fwmark",
                                   "group",
                                   "protocol",
                                   "scheduler",
                                   "scheduler_flags",
                                   "one_packet",
                                   "forwarding",
                                   "persistence",
                                   "on_failure",
                                   "sorry_server",
                                   "quorum",
                                   "quorum_hysteresis",
                                   "vrrp_instance",
                                   "announce",
                                   "watermarks",
                                   "check",
                                   "real_servers",
                                   "notify"});
            VirtualServer vs;
            std::size_t errors_before = r.errors().size();
            read_frontends(r, v, vp, vs);
            r.optional_key(v, vp, "protocol", vs.protocol, [&](auto& n, auto p) {
                return r.choice(n, p, {"tcp", "udp", "sctp"});
            });
            read_ipvs_settings(r, v, vp, cfg, vs);
            if (auto n = v["check"]) vs.check = read_check(r, n, Reader::join(vp, "check"));
            if (auto n = v["notify"]) vs.notify = r.argv(n, Reader::join(vp, "notify"));
            if (auto list = r.required(v, vp, "real_servers")) {
                std::set<std::pair<IpAddress, std::uint16_t>> seen;
                vs.real_servers = read_list<RealServer>(
                    r, list, Reader::join(vp, "real_servers"),
                    [&](auto& x, auto rp) { return read_real_server(r, x, rp, vs, seen); });
            }
            check_family_settings(r, v, vp, vs);
            read_announce(r, v, vp, cfg, vs);
            if (r.errors().size() != errors_before || vs.frontends.empty()) return std::nullopt;
            vs.name = frontend_name(vs.frontends.front());
            r.optional_string(v, vp, "name", vs.name);
            for (const auto& f : vs.frontends) {
                auto [it, fresh] = taken.try_emplace(
                    {f.address, f.port, f.fwmark ? "" : vs.protocol, f.fwmark}, vs.name);
                if (!fresh) {
                    r.fail(v, vp,
                           fmt::format(
                               "{} is already a service of virtual server '{}'",
                               f.fwmark ? frontend_name(f) : vs.protocol + " " + frontend_name(f),
                               it->second));
                    return std::nullopt;
                }
            }
            if (auto [it, fresh] = names.emplace(vs.name, r.where(v).line); !fresh) {
                r.fail(v, vp,
                       fmt::format("duplicate virtual server name '{}' (first at line {})", vs.name,
                                   it->second));
                return std::nullopt;
            }
            return vs;
        });
}

// timeouts: { tcp, tcp_fin, udp } in whole seconds; the kernel counts them in jiffies in an int.
void read_timeouts(Reader& r, const YAML::Node& t, const std::string& tp, Ipvs& ipvs) {
    using namespace std::chrono_literals;
    if (!r.is_map(t, tp)) return;
    r.reject_unknown_keys(t, tp, {"tcp", "tcp_fin", "udp"});
    for (auto [key, target] :
         {std::pair{"tcp", &ipvs.timeouts.tcp}, std::pair{"tcp_fin", &ipvs.timeouts.tcp_fin},
          std::pair{"udp", &ipvs.timeouts.udp}}) {
        auto n = t[key];
        if (!n) continue;
        auto kp = Reader::join(tp, key);
        auto d = r.duration(n, kp, 1s, 2000000s);
        if (d && *d % 1s != Duration{0})
            r.fail(n, kp, "the kernel counts connection timeouts in whole seconds");
        else if (d)
            *target = *d;
    }
}

void read_ipvs(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "ipvs";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"sync_daemon", "on_stop", "unmanaged", "timeouts"});
    r.optional_key(node, path, "unmanaged", cfg.ipvs.remove_unmanaged,
                   [&](auto& n, auto p) { return r.either(n, p, "keep", "remove"); });
    r.optional_key(node, path, "on_stop", cfg.ipvs.remove_on_stop,
                   [&](auto& n, auto p) { return r.either(n, p, "keep", "remove"); });
    if (auto t = node["timeouts"]) read_timeouts(r, t, Reader::join(path, "timeouts"), cfg.ipvs);
    if (auto d = node["sync_daemon"]) {
        auto dp = Reader::join(path, "sync_daemon");
        if (!r.is_map(d, dp)) return;
        r.reject_unknown_keys(
            d, dp, {"interface", "instance", "sync_id", "group", "port", "ttl", "max_length"});
        SyncDaemon daemon;
        if (auto n = r.required(d, dp, "interface"))
            daemon.interface = r.string(n, Reader::join(dp, "interface")).value_or("");
        if (auto n = r.required(d, dp, "instance")) {
            auto ip = Reader::join(dp, "instance");
            daemon.instance = r.string(n, ip).value_or("");
            if (!daemon.instance.empty() && !instance_exists(cfg, daemon.instance))
                r.fail(n, ip, "no VRRP instance named '" + daemon.instance + "'");
        }
        r.optional_integer(d, dp, "sync_id", daemon.sync_id, 0, 255);
        if (auto g = d["group"]) {
            auto gp = Reader::join(dp, "group");
            if (auto text = r.string(g, gp)) {
                auto group = parse_address(*text);
                if (!group || !group->is_multicast())
                    r.fail(g, gp, "'" + *text + "' is not a multicast address");
                else
                    daemon.group = *group;
            }
        }
        r.optional_integer(d, dp, "port", daemon.port, 1, 65535);
        r.optional_integer(d, dp, "ttl", daemon.ttl, 1, 255);
        // The kernel's bounds for a sync message's UDP payload.
        r.optional_integer(d, dp, "max_length", daemon.max_length, 80, 65507);
        cfg.ipvs.sync_daemon = daemon;
    }
}

void read_control(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "control";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"socket", "metrics"});
    if (auto n = node["socket"]) {
        auto file = r.string(n, Reader::join(path, "socket"));
        if (file && check_watchable(r, n, Reader::join(path, "socket"), *file))
            cfg.control.socket = *file;
    }
    if (auto n = node["metrics"])
        if (auto ep = read_endpoint(r, n, Reader::join(path, "metrics")))
            cfg.control.metrics = Endpoint{ep->first, ep->second};
}

}  // namespace directord::config::detail
