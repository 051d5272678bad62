#pragma once
// Cluster files (`nodes:`), internal to config/: reading the nodes, putting one node's
// settings in place in the YAML tree, and the rules between the nodes.
#include <optional>
#include <string>
#include <vector>

#include "reader.hpp"

namespace directord::config::detail {

struct NodeSpec {
    std::string name;
    std::size_t index = 0;  // in nodes:
    YAML::Node yaml;        // its entry, for its settings and for messages
};

std::vector<NodeSpec> read_nodes(Reader& r, const YAML::Node& nodes);
// "dlvs1, dlvs2"
std::string node_list(const std::vector<NodeSpec>& nodes);
// `root` becomes `self`'s configuration: nodes: removed, router_id (default: the node's name),
// priorities, preempt, interfaces and `unicast_peers: nodes` (every other node's address of
// the instance's family) put in place.
void apply_node(Reader& r, YAML::Node root, const std::vector<NodeSpec>& nodes,
                const NodeSpec& self);
// The address `node` is reached at for unicast VRRP of `instance`.
std::optional<YAML::Node> unicast_address(const NodeSpec& node, const std::string& instance,
                                          bool ipv6);
// Rules between the nodes' resolved configurations (`resolved[i]` is `nodes[i]`'s).
std::vector<Error> check_cluster(const std::string& source, const std::vector<NodeSpec>& nodes,
                                 const std::vector<Config>& resolved);

}  // namespace directord::config::detail
