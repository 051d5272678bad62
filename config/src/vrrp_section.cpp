// The `vrrp` section: instances and sync groups.
#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>

#include "sections.hpp"

namespace directord::config::detail {

std::optional<Vip> read_vip(Reader& r, const YAML::Node& node, const std::string& path) {
    Vip vip;
    std::optional<std::string> text;
    // yaml-cpp's Node::operator= overwrites the referenced node, so pick the node once.
    const YAML::Node spec_node = node.IsMap() ? node["address"] : node;
    if (node.IsMap()) {
        r.reject_unknown_keys(node, path, {"address", "label", "scope", "source_address"});
        r.optional_boolean(node, path, "source_address", vip.source_address);
        if (!r.required(node, path, "address")) return std::nullopt;
        text = r.string(spec_node, Reader::join(path, "address"));
        r.optional_key(node, path, "label", vip.label, [&](auto& n, auto p) {
            auto s = r.string(n, p);
            if (s && s->size() > 15) {
                r.fail(n, p, "an interface label is at most 15 characters");
                return std::optional<std::string>{};
            }
            return s;
        });
        r.optional_key(node, path, "scope", vip.scope, [&](auto& n, auto p) {
            static const std::map<std::string, AddressScope> scopes{
                {"global", AddressScope::global},
                {"site", AddressScope::site},
                {"link", AddressScope::link},
                {"host", AddressScope::host}};
            auto s = r.string(n, p);
            std::optional<AddressScope> out;
            if (!s) return out;
            if (auto it = scopes.find(*s); it != scopes.end())
                out = it->second;
            else
                r.fail(n, p, fmt::format("'{}' is not a scope (global, site, link, host)", *s));
            return out;
        });
    } else {
        text = r.string(node, path);
    }
    if (!text) return std::nullopt;
    auto slash = text->find('/');
    auto address = parse_address(std::string_view(*text).substr(0, slash));
    // A zone (fe80::1%eth0) is the instance's interface already; the kernel lists none.
    if (!address || text->substr(0, slash).find('%') != std::string::npos) {
        r.fail(spec_node, path, fmt::format("'{}' is not an IP address", *text));
        return std::nullopt;
    }
    vip.address = *address;
    int max_prefix = vip.address.is_v4() ? 32 : 128;
    vip.prefix_length = static_cast<std::uint8_t>(max_prefix);
    if (slash != std::string::npos) {
        int prefix = -1;
        auto digits = text->substr(slash + 1);
        auto [end, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (perr != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
            prefix > max_prefix) {
            r.fail(spec_node, path,
                   fmt::format("'{}' has a bad prefix length (0..{})", *text, max_prefix));
            return std::nullopt;
        }
        vip.prefix_length = static_cast<std::uint8_t>(prefix);
    }
    return vip;
}

std::string read_password_file(Reader& r, const YAML::Node& node, const std::string& path) {
    auto file = r.string(node, path);
    if (!file) return {};
    struct stat st {};
    if (stat(file->c_str(), &st) != 0) {
        r.fail(node, path, fmt::format("cannot read '{}': no such file", *file));
        return {};
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        r.fail(node, path,
               fmt::format("'{}' must not be readable by group or others (chmod 600)", *file));
        return {};
    }
    std::ifstream in(*file);
    std::string secret;
    std::getline(in, secret);
    return secret;
}

void read_auth(Reader& r, const YAML::Node& node, const std::string& path, Auth& auth) {
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"type", "password", "password_file"});
    auto type_node = r.required(node, path, "type");
    if (!type_node) return;
    auto type = r.string(type_node, Reader::join(path, "type"));
    if (!type) return;
    if (*type == "none") {
        auth.type = AuthType::none;
        return;
    }
    if (*type != "pass") {
        r.fail(type_node, Reader::join(path, "type"),
               fmt::format("'{}' is not an auth type (none, pass)", *type));
        return;
    }
    auth.type = AuthType::pass;
    auto inline_pw = node["password"];
    auto file_pw = node["password_file"];
    if (inline_pw && file_pw) {
        r.fail(node, path, "give either password or password_file, not both");
        return;
    }
    std::size_t errors_before = r.errors().size();
    if (inline_pw) {
        if (auto s = r.string(inline_pw, Reader::join(path, "password"))) auth.password = *s;
    } else if (file_pw) {
        auth.password = read_password_file(r, file_pw, Reader::join(path, "password_file"));
    } else {
        r.fail(node, path, "type pass needs password or password_file");
        return;
    }
    if (r.errors().size() != errors_before) return;  // already explained; no follow-on errors
    const YAML::Node& at = inline_pw ? inline_pw : file_pw;
    if (auth.password.empty()) {
        r.fail(at, path, "the password is empty");
    } else if (auth.password.size() > 8) {
        // keepalived silently truncates to 8; a silent truncation hides typos between peers.
        r.fail(at, path, "a VRRPv2 PASS password is at most 8 characters");
    }
}

void read_garp(Reader& r, const YAML::Node& node, const std::string& path, Garp& garp) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"count", "spacing", "repeat_delay", "refresh", "na_router"});
    r.optional_integer(node, path, "count", garp.count, 0, 100);
    r.optional_duration(node, path, "spacing", garp.spacing, 0s, 1s);
    r.optional_duration(node, path, "repeat_delay", garp.repeat_delay, 0s, 3600s);
    r.optional_duration(node, path, "refresh", garp.refresh, 0s, 86400s);
    r.optional_boolean(node, path, "na_router", garp.na_router);
}

// The addresses an instance moves with its role. The advertised ones share one family (the
// advert's); the excluded ones need not, as in keepalived.
std::vector<Vip> read_instance_vips(Reader& r, const YAML::Node& node, const std::string& path,
                                    const std::string& interface, bool one_family) {
    auto vips = read_list<Vip>(r, node, path, [&](auto& x, auto q) { return read_vip(r, x, q); });
    for (std::size_t i = 0; i < vips.size() && i < node.size(); ++i) {
        if (one_family && vips[i].address.is_v4() != vips.front().address.is_v4())
            r.fail(node[i], Reader::index(path, i),
                   "all VIPs of an instance must be of one address family");
        else if (!vips[i].label.empty() && !vips[i].label.starts_with(interface))
            r.fail(node[i], Reader::index(path, i),
                   fmt::format("label '{}' must start with the interface name '{}' (e.g. {}:0)",
                               vips[i].label, interface, interface));
    }
    return vips;
}

static bool is_link_local(const IpAddress& address) {
    return address.is_v6() && address.to_v6().is_link_local();
}

std::optional<Instance> read_instance(Reader& r, const YAML::Node& node, const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(
        node, path,
        {"name", "interface", "vrid", "version", "priority", "advert_interval", "preempt",
         "preempt_delay", "auth", "vips", "excluded_vips", "unicast_peers", "link_up_delay",
         "stray_vips", "garp", "track", "notify"});
    Instance inst;
    inst.location = r.where(node);
    std::size_t errors_before = r.errors().size();
    auto str = [&](auto& n, auto p) { return r.string(n, p); };
    if (auto n = r.required(node, path, "name"))
        inst.name = str(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "interface")) {
        inst.interface = str(n, Reader::join(path, "interface")).value_or("");
        if (inst.interface.size() > 15)
            r.fail(n, Reader::join(path, "interface"),
                   "an interface name is at most 15 characters");
    }
    if (auto n = r.required(node, path, "vrid"))
        inst.vrid =
            static_cast<std::uint8_t>(r.integer(n, Reader::join(path, "vrid"), 1, 255).value_or(0));
    r.optional_key(node, path, "version", inst.version, [&](auto& n, auto p) {
        auto v = r.integer(n, p, 2, 3);
        return v;
    });
    // 255 is reserved for the address owner; 0 is only ever sent to hand over.
    r.optional_integer(node, path, "priority", inst.priority, 1, 255);
    // v2 carries whole seconds (1..255); v3 carries centiseconds (10ms..40.95s).
    if (auto n = node["advert_interval"]) {
        auto p = Reader::join(path, "advert_interval");
        if (inst.version == 2) {
            if (auto d = r.duration(n, p, 1s, 255s)) {
                if (d->count() % 1000000 != 0)
                    r.fail(n, p, "VRRPv2 advert_interval must be whole seconds");
                else
                    inst.advert_interval = *d;
            }
        } else if (auto d = r.duration(n, p, 10ms, 4090ms + 36s)) {
            if (d->count() % 10000 != 0)
                r.fail(n, p, "VRRPv3 advert_interval must be a multiple of 10ms");
            else
                inst.advert_interval = *d;
        }
    }
    r.optional_boolean(node, path, "preempt", inst.preempt);
    r.optional_duration(node, path, "preempt_delay", inst.preempt_delay, 0s, 1000s);
    if (auto n = node["auth"]) {
        auto p = Reader::join(path, "auth");
        read_auth(r, n, p, inst.auth);
        if (inst.version == 3 && inst.auth.type != AuthType::none)
            r.fail(n, p, "VRRPv3 has no authentication (RFC 5798); remove auth or use version 2");
    }
    if (auto n = r.required(node, path, "vips")) {
        auto p = Reader::join(path, "vips");
        inst.vips = read_instance_vips(r, n, p, inst.interface, true);
        if (n.IsSequence() && n.size() == 0) r.fail(n, p, "at least one VIP is needed");
        if (inst.vips.size() > 255) r.fail(n, p, "at most 255 VIPs fit in one advertisement");
        if (inst.ipv6() && inst.version == 2)
            r.fail(n, p, "IPv6 VIPs need VRRP version 3 (RFC 5798); VRRPv2 is IPv4 only");
    }
    if (auto n = node["excluded_vips"]) {
        auto p = Reader::join(path, "excluded_vips");
        inst.excluded_vips = read_instance_vips(r, n, p, inst.interface, false);
        for (std::size_t i = 0; i < inst.excluded_vips.size() && i < n.size(); ++i)
            for (const auto& vip : inst.vips)
                if (vip.address == inst.excluded_vips[i].address)
                    r.fail(n[i], Reader::index(p, i),
                           fmt::format("{} is already in vips", vip.address.to_string()));
    }
    if (auto n = node["unicast_peers"]) {
        auto p = Reader::join(path, "unicast_peers");
        inst.unicast_peers =
            read_list<IpAddress>(r, n, p, [&](auto& x, auto q) { return r.address(x, q); });
        for (std::size_t i = 0; i < inst.unicast_peers.size() && i < n.size(); ++i) {
            if (!inst.vips.empty() &&
                inst.unicast_peers[i].is_v4() != inst.vips.front().address.is_v4())
                r.fail(n[i], Reader::index(p, i),
                       "a unicast peer must be of the VIPs' address family");
            else if (i > 0 && is_link_local(inst.unicast_peers[i]) !=
                                  is_link_local(inst.unicast_peers.front()))
                // The advert source is link-local for link-local peers, global otherwise.
                r.fail(n[i], Reader::index(p, i),
                       "unicast peers are all link-local or all not (the advert source follows "
                       "them)");
        }
    }
    r.optional_duration(node, path, "link_up_delay", inst.link_up_delay, 0s, 3600s);
    r.optional_key(node, path, "stray_vips", inst.remove_stray_vips,
                   [&](auto& n, auto p) { return r.either(n, p, "warn", "remove"); });
    if (auto n = node["garp"]) read_garp(r, n, Reader::join(path, "garp"), inst.garp);
    if (auto n = node["track"]) read_track(r, n, Reader::join(path, "track"), inst);
    if (auto n = node["notify"]) inst.notify = r.argv(n, Reader::join(path, "notify"));
    if (r.errors().size() != errors_before) return std::nullopt;
    return inst;
}

void read_vrrp(Reader& r, const YAML::Node& node, Config& cfg) {
    const std::string path = "vrrp";
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"instances", "sync_groups"});
    std::map<std::string, int> seen_names;
    std::set<std::tuple<std::string, int, bool>> seen_vrids;
    if (auto list = node["instances"]) {
        auto p = Reader::join(path, "instances");
        if (!r.is_sequence(list, p)) return;
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto ip = Reader::index(p, i);
            auto inst = read_instance(r, list[i], ip);
            if (!inst) continue;
            if (seen_names.contains(inst->name)) {
                r.fail(list[i]["name"], Reader::join(ip, "name"),
                       fmt::format("duplicate instance name '{}' (first at line {})", inst->name,
                                   seen_names[inst->name]));
                continue;
            }
            seen_names[inst->name] = inst->location.line;
            if (!seen_vrids.emplace(inst->interface, inst->vrid, inst->ipv6()).second) {
                r.fail(list[i]["vrid"], Reader::join(ip, "vrid"),
                       fmt::format("vrid {} is already used on interface {}", inst->vrid,
                                   inst->interface));
                continue;
            }
            cfg.instances.push_back(std::move(*inst));
        }
    }
    if (auto list = node["sync_groups"]) {
        auto p = Reader::join(path, "sync_groups");
        std::map<std::string, std::string> group_of;
        cfg.sync_groups =
            read_list<SyncGroup>(r, list, p, [&](auto& g, auto gp) -> std::optional<SyncGroup> {
                if (!r.is_map(g, gp)) return std::nullopt;
                r.reject_unknown_keys(g, gp, {"name", "instances"});
                SyncGroup group;
                if (auto n = r.required(g, gp, "name"))
                    group.name = r.string(n, Reader::join(gp, "name")).value_or("");
                auto members = r.required(g, gp, "instances");
                if (!members) return std::nullopt;
                auto mp = Reader::join(gp, "instances");
                group.instances = read_list<std::string>(
                    r, members, mp, [&](auto& x, auto q) { return r.string(x, q); });
                for (std::size_t i = 0; i < group.instances.size() && i < members.size(); ++i) {
                    const auto& m = group.instances[i];
                    if (!seen_names.contains(m)) {
                        r.fail(members[i], Reader::index(mp, i),
                               fmt::format("no instance named '{}'", m));
                    } else if (auto [it, fresh] = group_of.emplace(m, group.name); !fresh) {
                        r.fail(members[i], Reader::index(mp, i),
                               fmt::format("instance '{}' is already in sync group '{}'", m,
                                           it->second));
                    }
                }
                if (group.instances.size() < 2)
                    r.fail(members, mp, "a sync group needs at least two instances");
                return group;
            });
    }
}

// "10.0.0.1:80" or "[fd00::1]:80".

}  // namespace directord::config::detail
