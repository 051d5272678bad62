// Cluster files: one file, every director. Node resolution (router_id, priorities, preempt,
// interfaces, unicast peers derived from the nodes) and every rule between the nodes, each
// with its exact message and position.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../scratch_dir.hpp"
#include "directord/config/loader.hpp"

namespace directord::config {
namespace {

// Two directors, one instance each way of overriding.
const std::string kCluster = R"(nodes:
  - name: lb1
    priority: 101
    addresses: [10.0.0.1, 'fd00::1']
    instances:
      inside: { preempt: false, interface: eth2 }
  - name: lb2
    router_id: backup-director
    addresses: [10.0.0.2, 'fd00::2']
vrrp:
  instances:
    - { name: outside, interface: eth0, vrid: 51, priority: 100, vips: [10.0.0.100/24] }
    - name: inside
      interface: eth1
      vrid: 52
      priority: 100
      version: 3
      vips: ['fd01::fe/64']
      unicast_peers: nodes
)";

Config node(const std::string& text, const std::string& name) {
    auto loaded = load_text(text, "c.yaml", name);
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded)) {
        for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
        return {};
    }
    return std::get<Config>(loaded);
}

std::vector<std::string> errors_of(const std::string& text, const std::string& name) {
    std::vector<std::string> out;
    auto loaded = load_text(text, "c.yaml", name);
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded))
        for (const auto& e : *errors) out.push_back(e.to_string());
    return out;
}

// check_file reads a file: write the text to one of the test's own.
CheckedFile check_text(const std::string& text) {
    ScratchDir dir;
    auto path = dir.file("cluster.yaml");
    std::ofstream(path) << text;
    return check_file(path);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(Cluster, EachNodeGetsTheSharedPartWithItsOwnSettings) {
    auto lb1 = node(kCluster, "lb1");
    ASSERT_EQ(lb1.instances.size(), 2u);
    EXPECT_EQ(lb1.router_id, "lb1") << "a node's name is its router_id by default";
    EXPECT_EQ(lb1.instances[0].priority, 101) << "the node's priority for every instance";
    EXPECT_FALSE(lb1.instances[1].preempt);
    EXPECT_EQ(lb1.instances[1].interface, "eth2");
    ASSERT_EQ(lb1.instances[1].unicast_peers.size(), 1u);
    EXPECT_EQ(lb1.instances[1].unicast_peers[0].to_string(), "fd00::2")
        << "the other nodes' addresses of the instance's family";

    auto lb2 = node(kCluster, "lb2");
    EXPECT_EQ(lb2.router_id, "backup-director");
    EXPECT_EQ(lb2.instances[0].priority, 100) << "no node priority: the instance's own";
    EXPECT_TRUE(lb2.instances[1].preempt);
    EXPECT_EQ(lb2.instances[1].interface, "eth1");
    ASSERT_EQ(lb2.instances[1].unicast_peers.size(), 1u);
    EXPECT_EQ(lb2.instances[1].unicast_peers[0].to_string(), "fd00::1");
}

TEST(Cluster, ChoosingANode) {
    EXPECT_EQ(errors_of(kCluster, ""),
              std::vector<std::string>{"c.yaml:2:3: nodes: this file describes a cluster (nodes: "
                                       "lb1, lb2): choose a node (--node NAME)"});
    EXPECT_EQ(errors_of(kCluster, "lb3"),
              std::vector<std::string>{
                  "c.yaml:2:3: nodes: no node named 'lb3' (nodes: lb1, lb2); choose one with "
                  "--node"});
    // A file without nodes: is one director's, whatever the node.
    auto plain = load_text(
        "vrrp:\n  instances:\n    - { name: a, interface: eth0, vrid: 1, vips: [10.0.0.1] }\n",
        "p.yaml", "lb3");
    EXPECT_TRUE(std::holds_alternative<Config>(plain));
}

TEST(Cluster, MistakesInTheNodesPointAtThem) {
    EXPECT_EQ(
        errors_of(replaced(kCluster, "  - name: lb2\n", "  - name: lb1\n"), "lb1"),
        std::vector<std::string>{"c.yaml:7:11: nodes[1].name: node 'lb1' is already nodes[0]"});
    EXPECT_EQ(errors_of(replaced(kCluster, "inside: { preempt", "insde: { preempt"), "lb1"),
              std::vector<std::string>{"c.yaml:6:7: nodes[0].instances: no instance named "
                                       "'insde' in vrrp.instances"});
    EXPECT_EQ(
        errors_of(replaced(kCluster, "priority: 101", "priority: 256"), "lb1"),
        std::vector<std::string>{"c.yaml:3:15: nodes[0].priority: 256 is out of range (1..255)"});
    EXPECT_EQ(
        errors_of(replaced(kCluster, "addresses: [10.0.0.2, 'fd00::2']", "addresses: [10.0.0.2]"),
                  "lb1"),
        std::vector<std::string>{
            "c.yaml:7:5: nodes[1]: instance inside has unicast_peers: nodes, but node "
            "'lb2' has no IPv6 address (addresses, or instances.inside.address)"});
    EXPECT_EQ(errors_of("router_id: x\n" + kCluster, "lb1"),
              std::vector<std::string>{
                  "c.yaml:1:12: router_id: a cluster file names each director in nodes: "
                  "(router_id there, default its name)"});
    // An error in a node's setting is reported where the node wrote it.
    EXPECT_EQ(
        errors_of(replaced(kCluster, "preempt: false", "preempt: maybe"), "lb1"),
        std::vector<std::string>{"c.yaml:6:26: vrrp.instances[1].preempt: expected true or false"});
}

TEST(Cluster, CheckFileResolvesEveryNodeAndTheRulesBetweenThem) {
    auto ok = check_text(kCluster);
    EXPECT_EQ(ok.nodes, (std::vector<std::string>{"lb1", "lb2"}));
    EXPECT_TRUE(ok.errors.empty()) << ok.errors[0].to_string();

    // lb1 at 100 too: the outside VRID has two directors at the same priority.
    auto same = check_text(replaced(kCluster, "    priority: 101\n", ""));
    ASSERT_EQ(same.errors.size(), 2u);
    EXPECT_EQ(same.errors[0].key_path, "nodes[1]");
    EXPECT_EQ(same.errors[0].message,
              "priority 100 of instance outside (VRID 51) is node 'lb1''s already: the "
              "directors of one VRID need distinct priorities");

    auto owners = check_text(replaced(replaced(kCluster, "priority: 101", "priority: 255"),
                                      "    router_id: backup-director\n", "    priority: 255\n"));
    ASSERT_FALSE(owners.errors.empty());
    EXPECT_EQ(owners.errors[0].message,
              "node 'lb1' is the address owner (priority 255) of instance outside (VRID 51) "
              "already: one owner per VRID");

    // A mistake in the shared part is reported once, not once per node.
    auto shared = check_text(replaced(kCluster, "vrid: 51", "vrid: 256"));
    ASSERT_EQ(shared.errors.size(), 1u);
    EXPECT_EQ(shared.errors[0].key_path, "vrrp.instances[0].vrid");
}

}  // namespace
}  // namespace directord::config
