// A cluster file: `nodes:` names every director, everything else is shared. One node's
// configuration is the YAML tree with that node's settings put in place (the nodes' own YAML
// nodes, so an error still points into the file where it was written), then read by the
// ordinary loader; the cluster's rules compare the nodes' resolved configurations.
#include "cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace directord::config::detail {
namespace {

constexpr std::string_view kNodes = "nodes";
const std::initializer_list<std::string_view> kNodeKeys = {"name", "router_id", "priority",
                                                           "addresses", "instances"};
const std::initializer_list<std::string_view> kInstanceKeys = {"priority", "preempt", "interface",
                                                               "address"};

std::string item(std::size_t i) { return fmt::format("nodes[{}]", i); }

bool looks_ipv6(const YAML::Node& scalar) {
    return scalar.IsScalar() && scalar.Scalar().find(':') != std::string::npos;
}

// The family of an instance, as its first VIP is written ("2001:db8::1/64" or a map).
bool instance_is_ipv6(const YAML::Node& instance) {
    auto vips = instance["vips"];
    if (!vips || !vips.IsSequence() || vips.size() == 0) return false;
    auto first = vips[0].IsMap() ? vips[0]["address"] : vips[0];
    return first && looks_ipv6(first);
}

// Replaces (or adds) `key` of `map` by `value`, keeping `value`'s position for messages.
void put(YAML::Node map, const std::string& key, const YAML::Node& value) {
    map.remove(key);
    map.force_insert(key, value);
}

}  // namespace

std::vector<NodeSpec> read_nodes(Reader& r, const YAML::Node& nodes) {
    std::vector<NodeSpec> out;
    if (!r.is_sequence(nodes, std::string(kNodes))) return out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const YAML::Node n = nodes[i];
        auto path = item(i);
        if (!r.is_map(n, path)) continue;
        r.reject_unknown_keys(n, path, kNodeKeys);
        if (!r.required(n, path, "name")) continue;
        NodeSpec spec{r.string(n["name"], Reader::join(path, "name")).value_or(""), i, n};
        for (const auto& other : out)
            if (other.name == spec.name)
                r.fail(n["name"], Reader::join(path, "name"),
                       fmt::format("node '{}' is already {}", spec.name, item(other.index)));
        if (auto priority = n["priority"])
            r.integer(priority, Reader::join(path, "priority"), 1, 255);
        if (auto addresses = n["addresses"]; addresses && r.is_sequence(addresses, path))
            for (std::size_t a = 0; a < addresses.size(); ++a)
                r.address(addresses[a], Reader::index(Reader::join(path, "addresses"), a));
        if (auto instances = n["instances"];
            instances && r.is_map(instances, Reader::join(path, "instances")))
            for (const auto& entry : instances)
                if (r.is_map(entry.second, Reader::join(path, "instances." + entry.first.Scalar())))
                    r.reject_unknown_keys(entry.second,
                                          Reader::join(path, "instances." + entry.first.Scalar()),
                                          kInstanceKeys);
        out.push_back(std::move(spec));
    }
    return out;
}

std::string node_list(const std::vector<NodeSpec>& nodes) {
    std::string out;
    for (const auto& n : nodes) out += (out.empty() ? "" : ", ") + n.name;
    return out;
}

void apply_node(Reader& r, YAML::Node root, const std::vector<NodeSpec>& nodes,
                const NodeSpec& self) {
    root.remove(std::string(kNodes));
    put(root, "router_id", self.yaml["router_id"] ? self.yaml["router_id"] : self.yaml["name"]);
    auto vrrp = root["vrrp"];
    auto instances = vrrp && vrrp.IsMap() ? vrrp["instances"] : YAML::Node();
    if (!instances || !instances.IsSequence()) return;
    auto overrides = self.yaml["instances"];
    std::map<std::string, bool> known;
    for (YAML::Node instance : instances) {
        if (!instance.IsMap() || !instance["name"] || !instance["name"].IsScalar()) continue;
        auto name = instance["name"].Scalar();
        known[name] = true;
        if (auto priority = self.yaml["priority"]) put(instance, "priority", priority);
        auto own = overrides && overrides.IsMap() ? overrides[name] : YAML::Node();
        if (own && own.IsMap())
            for (const auto& key : {"priority", "preempt", "interface"})
                if (own[key]) put(instance, key, own[key]);
        auto peers = instance["unicast_peers"];
        if (peers && peers.IsScalar() && peers.Scalar() == kNodes) {
            bool ipv6 = instance_is_ipv6(instance);
            YAML::Node list(YAML::NodeType::Sequence);
            for (const auto& other : nodes) {
                if (other.name == self.name) continue;
                auto address = unicast_address(other, name, ipv6);
                if (!address)
                    r.fail(other.yaml, item(other.index),
                           fmt::format("instance {} has unicast_peers: nodes, but node '{}' has "
                                       "no IPv{} address (addresses, or instances.{}.address)",
                                       name, other.name, ipv6 ? 6 : 4, name));
                else
                    list.push_back(*address);
            }
            put(instance, "unicast_peers", list);
        }
    }
    if (overrides && overrides.IsMap())
        for (const auto& entry : overrides)
            if (!known.count(entry.first.Scalar()))
                r.fail(
                    entry.first, Reader::join(item(self.index), "instances"),
                    fmt::format("no instance named '{}' in vrrp.instances", entry.first.Scalar()));
}

std::optional<YAML::Node> unicast_address(const NodeSpec& node, const std::string& instance,
                                          bool ipv6) {
    auto own = node.yaml["instances"] ? node.yaml["instances"][instance] : YAML::Node();
    if (own && own.IsMap() && own["address"]) return own["address"];
    if (auto addresses = node.yaml["addresses"]; addresses && addresses.IsSequence())
        for (const auto& a : addresses)
            if (looks_ipv6(a) == ipv6) return a;
    return std::nullopt;
}

std::vector<Error> check_cluster(const std::string& source, const std::vector<NodeSpec>& nodes,
                                 const std::vector<Config>& resolved) {
    Reader r(source);
    // instance name -> priority -> the first node with it
    std::map<std::string, std::map<int, std::size_t>> seen;
    for (std::size_t n = 0; n < nodes.size() && n < resolved.size(); ++n) {
        for (const auto& instance : resolved[n].instances) {
            auto [it, fresh] = seen[instance.name].emplace(instance.priority, n);
            if (fresh) continue;
            auto other = nodes[it->second].name;
            r.fail(nodes[n].yaml, item(nodes[n].index),
                   instance.priority == 255
                       ? fmt::format("node '{}' is the address owner (priority 255) of instance "
                                     "{} (VRID {}) already: one owner per VRID",
                                     other, instance.name, instance.vrid)
                       : fmt::format("priority {} of instance {} (VRID {}) is node '{}''s "
                                     "already: the directors of one VRID need distinct "
                                     "priorities",
                                     instance.priority, instance.name, instance.vrid, other));
        }
    }
    return std::move(r.errors());
}

}  // namespace directord::config::detail
