// The `bgp:` section and a virtual server's `announce: bgp` (the BGP tier).
#include <algorithm>
#include <chrono>

#include "sections.hpp"

namespace directord::config::detail {

namespace {

// Protocol numbers a routing engine or the kernel treats as its own: the kernel's (0-4), FRR's
// (11, 42, 186-198: its self-routes; 4 is "static" to zebra) and BIRD's (12). With one of them,
// directord's routes would be taken for theirs.
bool reserved_protocol(long long p) {
    return p <= 4 || p == 11 || p == 12 || p == 42 || (p >= 186 && p <= 198);
}

std::optional<BgpVip> read_vip(Reader& r, const YAML::Node& x, const std::string& xp) {
    if (!r.is_map(x, xp)) return std::nullopt;
    r.reject_unknown_keys(x, xp, {"address", "down_file", "require"});
    BgpVip vip;
    auto address = r.required(x, xp, "address");
    auto parsed = address ? r.address(address, Reader::join(xp, "address")) : std::nullopt;
    if (!parsed) return std::nullopt;
    vip.address = *parsed;
    if (auto n = x["down_file"]) {
        auto fp = Reader::join(xp, "down_file");
        auto file = r.string(n, fp);
        if (file && check_watchable(r, n, fp, *file)) vip.down_file = *file;
    }
    r.optional_key(x, xp, "require", vip.require_all,
                   [&](auto& n, auto p) { return r.either(n, p, "any", "all"); });
    return vip;
}

}  // namespace

void read_bgp(Reader& r, const YAML::Node& node, Config& cfg) {
    using namespace std::chrono_literals;
    const std::string path = "bgp";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path,
                          {"engine", "route_protocol", "drain", "hold_down", "vips",
                           "status_command", "bfd_command"});
    Bgp bgp;
    r.optional_key(node, path, "engine", bgp.engine, [&](auto& n, auto p) {
        auto name = r.choice(n, p, {"frr", "bird", "external"});
        return name ? std::optional(*name == "frr"    ? RoutingEngine::frr
                                    : *name == "bird" ? RoutingEngine::bird
                                                      : RoutingEngine::external)
                    : std::nullopt;
    });
    r.optional_key(node, path, "route_protocol", bgp.route_protocol,
                   [&](auto& n, auto p) -> std::optional<long long> {
                       auto value = r.integer(n, p, 1, 255);
                       if (value && reserved_protocol(*value)) {
                           r.fail(n, p,
                                  fmt::format("protocol {} belongs to the kernel or a routing "
                                              "engine (choose another, e.g. 249)",
                                              *value));
                           return std::nullopt;
                       }
                       return value;
                   });
    r.optional_duration(node, path, "drain", bgp.drain, 0s, 600s);
    r.optional_duration(node, path, "hold_down", bgp.hold_down, 0s, 3600s);
    if (auto list = node["vips"]) {
        bgp.vips = read_list<BgpVip>(r, list, Reader::join(path, "vips"),
                                     [&](auto& x, auto xp) { return read_vip(r, x, xp); });
    }
    if (auto n = node["status_command"])
        bgp.status_command = r.argv(n, Reader::join(path, "status_command"));
    if (auto n = node["bfd_command"])
        bgp.bfd_command = r.argv(n, Reader::join(path, "bfd_command"));
    cfg.bgp = std::move(bgp);
}

void read_announce(Reader& r, const YAML::Node& v, const std::string& vp, const Config& cfg,
                   VirtualServer& vs) {
    if (auto n = v["announce"]) {
        auto ap = Reader::join(vp, "announce");
        auto how = r.choice(n, ap, {"bgp"});
        if (how && !cfg.bgp) r.fail(n, ap, "announce: bgp needs a bgp: section");
        vs.announce = how.has_value();
    }
    if (auto n = v["watermarks"]) {
        auto wp = Reader::join(vp, "watermarks");
        if (!vs.announce) r.fail(n, wp, "watermarks apply to a virtual server with announce: bgp");
        if (!r.is_map(n, wp)) return;
        r.reject_unknown_keys(n, wp, {"low", "high"});
        Watermarks w;
        auto fraction = [&](const char* key, double& target) {
            auto x = r.required(n, wp, key);
            if (x && !(YAML::convert<double>::decode(x, target) && target > 0 && target <= 1))
                r.fail(x, Reader::join(wp, key),
                       "expected a fraction of real servers (0 < x <= 1)");
        };
        fraction("low", w.low);
        fraction("high", w.high);
        if (w.high < w.low) r.fail(n, wp, "high must be at least low (hysteresis)");
        vs.watermarks = w;
    }
    if (!vs.announce) return;
    if (!vs.vrrp_instance.empty())
        r.fail(v, vp, "announce: bgp and vrrp_instance exclude each other (every director serves)");
    bool translating = vs.forwarding == Forwarding::nat;
    for (const auto& rs : vs.real_servers)
        translating = translating || rs.forwarding == Forwarding::nat;
    if (translating)
        r.fail(v, vp,
               "announce: bgp needs forwarding dr or tun (with NAT, replies must return through "
               "the director that holds the connection)");
    // Every director must keep the same real servers in the same places (mh's table).
    if (v["on_failure"] && vs.on_failure == OnFailure::remove)
        r.fail(v["on_failure"], Reader::join(vp, "on_failure"),
               "announce: bgp keeps a failed real server at weight 0 (inhibit): removing it "
               "would change the other directors' choice of real server");
    if (vs.sorry_server)
        r.fail(v["sorry_server"], Reader::join(vp, "sorry_server"),
               "announce: bgp has no sorry server: a director without quorum is withdrawn");
    if (!address_frontend(vs))
        r.fail(v, vp, "announce: bgp needs an address (a firewall mark has none to announce)");
}

// After the virtual servers: bgp.vips becomes every announced address, each with its settings.
void settle_bgp_vips(Reader& r, const YAML::Node& node, Config& cfg) {
    if (!cfg.bgp) return;
    std::vector<IpAddress> announced;
    for (const auto& vs : cfg.virtual_servers)
        if (vs.announce)
            for (const auto& f : vs.frontends)
                if (!f.fwmark) announced.push_back(f.address);
    std::sort(announced.begin(), announced.end());
    announced.erase(std::unique(announced.begin(), announced.end()), announced.end());
    auto& vips = cfg.bgp->vips;
    for (std::size_t i = 0; i < vips.size(); ++i) {
        auto where = node["vips"][i];
        if (!std::binary_search(announced.begin(), announced.end(), vips[i].address))
            r.fail(where, Reader::index("bgp.vips", i),
                   fmt::format("{} is no address of a virtual server with announce: bgp",
                               vips[i].address.to_string()));
        for (std::size_t j = 0; j < i; ++j)
            if (vips[j].address == vips[i].address)
                r.fail(where, Reader::index("bgp.vips", i),
                       fmt::format("{} is listed twice", vips[i].address.to_string()));
    }
    for (const auto& address : announced)
        if (std::none_of(vips.begin(), vips.end(),
                         [&](const BgpVip& v) { return v.address == address; }))
            vips.push_back(BgpVip{address, std::nullopt, true});
    std::sort(vips.begin(), vips.end(),
              [](const BgpVip& a, const BgpVip& b) { return a.address < b.address; });
}

}  // namespace directord::config::detail
