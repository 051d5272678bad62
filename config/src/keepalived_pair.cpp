// Two keepalived.conf files of one pair -> one cluster file. Each is converted alone, then the
// two results are compared: what may differ between directors (priority, preempt, interface,
// each one's unicast address) becomes a per-node setting; anything else that differs (a
// password, a VIP list, a service) is an error to fix before the pair is converted.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <set>

#include "directord/config/keepalived_import.hpp"

namespace directord::config {
namespace {

const std::set<std::string> kPerNode = {"priority", "preempt", "interface"};

std::string dump(const YAML::Node& node) { return node ? YAML::Dump(node) : "(none)"; }

// A value the loader would assume when a converted file leaves it out.
YAML::Node or_default(const YAML::Node& value, const std::string& key) {
    if (value) return value;
    if (key == "priority") return YAML::Node(100);
    if (key == "preempt") return YAML::Node(true);
    return YAML::Node();
}

YAML::Node find_instance(const YAML::Node& instances, const std::string& name) {
    if (instances && instances.IsSequence())
        for (const auto& i : instances)
            if (i["name"] && i["name"].Scalar() == name) return i;
    return YAML::Node();
}

std::vector<std::string> keys_of(const YAML::Node& a, const YAML::Node& b) {
    std::vector<std::string> out;
    for (const auto* map : {&a, &b})
        if (map->IsMap())
            for (const auto& e : *map)
                if (std::find(out.begin(), out.end(), e.first.Scalar()) == out.end())
                    out.push_back(e.first.Scalar());
    return out;
}

class PairMerger {
  public:
    PairMerger(std::string file_a, std::string file_b, std::vector<ImportNote>& notes)
        : files_{std::move(file_a), std::move(file_b)}, notes_(notes) {}

    // `a` becomes the shared part; the per-node settings go to nodes_.
    bool merge(YAML::Node a, const YAML::Node& b) {
        names_ = {a["router_id"] ? a["router_id"].Scalar() : "node1",
                  b["router_id"] ? b["router_id"].Scalar() : "node2"};
        if (names_[0] == names_[1]) {
            names_[1] += "-2";
            note(true, fmt::format("both files say router_id {}: the second node is {}", names_[0],
                                   names_[1]));
        }
        for (auto& n : nodes_) n = YAML::Node(YAML::NodeType::Map);
        a.remove("router_id");
        for (const auto& key : keys_of(a, b)) {
            if (key == "router_id" || key == "vrrp") continue;
            if (dump(a[key]) != dump(b[key])) differs(key);
        }
        auto va = a["vrrp"], vb = b["vrrp"];
        if (dump(va ? va["sync_groups"] : YAML::Node()) !=
            dump(vb ? vb["sync_groups"] : YAML::Node()))
            differs("vrrp.sync_groups");
        auto ia = va ? va["instances"] : YAML::Node(), ib = vb ? vb["instances"] : YAML::Node();
        for (const auto& name : instance_names(ia, ib)) {
            auto x = find_instance(ia, name), y = find_instance(ib, name);
            if (!x || !y) {
                note(false, fmt::format("instance {} is only in {}: the pair must have the "
                                        "same instances",
                                        name, files_[x ? 0 : 1]));
                continue;
            }
            merge_instance(name, x, y);
        }
        return ok_;
    }

    std::vector<std::string> names() const { return {names_[0], names_[1]}; }

    YAML::Node nodes() const {
        YAML::Node out(YAML::NodeType::Sequence);
        for (std::size_t i = 0; i < 2; ++i) {
            YAML::Node node(YAML::NodeType::Map);
            node["name"] = names_[i];
            if (nodes_[i].size() > 0) node["instances"] = nodes_[i];
            out.push_back(node);
        }
        return out;
    }

  private:
    static std::vector<std::string> instance_names(const YAML::Node& a, const YAML::Node& b) {
        std::vector<std::string> out;
        for (const auto* list : {&a, &b})
            if (list->IsSequence())
                for (const auto& i : *list)
                    if (i["name"] &&
                        std::find(out.begin(), out.end(), i["name"].Scalar()) == out.end())
                        out.push_back(i["name"].Scalar());
        return out;
    }

    void merge_instance(const std::string& name, YAML::Node x, const YAML::Node& y) {
        for (const auto& key : keys_of(x, y)) {
            if (key == "unicast_peers") {
                unicast(name, x, y);
            } else if (kPerNode.count(key)) {
                auto vx = or_default(x[key], key), vy = or_default(y[key], key);
                if (dump(vx) == dump(vy)) continue;
                nodes_[0][name][key] = vx;
                nodes_[1][name][key] = vy;
                x.remove(key);
                note(true, fmt::format("instance {}: {} per node ({} {}, {} {})", name, key,
                                       names_[0], dump(vx), names_[1], dump(vy)));
            } else if (dump(x[key]) != dump(y[key])) {
                // Never the values: a password may be among them.
                differs(fmt::format("instance {}: {}", name, key));
            }
        }
    }

    // Each lists the other: `unicast_peers: nodes`, each node's address where the other
    // sends its adverts.
    void unicast(const std::string& name, YAML::Node x, const YAML::Node& y) {
        auto px = x["unicast_peers"], py = y["unicast_peers"];
        if (dump(px) == dump(py)) return;  // the same list on both (e.g. a third peer)
        if (!px || !py || !px.IsSequence() || !py.IsSequence() || px.size() != 1 ||
            py.size() != 1) {
            differs(fmt::format("instance {}: unicast_peers", name));
            return;
        }
        nodes_[0][name]["address"] = py[0];
        nodes_[1][name]["address"] = px[0];
        x["unicast_peers"] = "nodes";
        note(true, fmt::format("instance {}: unicast_peers: nodes ({} at {}, {} at {})", name,
                               names_[0], dump(py[0]), names_[1], dump(px[0])));
    }

    void differs(const std::string& what) {
        note(false, fmt::format("{} differs between {} and {}: make them the same (only "
                                "priority, preempt, interface and unicast addresses may "
                                "differ between the nodes)",
                                what, files_[0], files_[1]));
    }

    void note(bool converted, std::string message) {
        notes_.push_back({files_[1], 0, converted, std::move(message)});
        if (!converted) ok_ = false;
    }

    std::array<std::string, 2> files_, names_;
    std::array<YAML::Node, 2> nodes_;
    std::vector<ImportNote>& notes_;
    bool ok_ = true;
};

}  // namespace

ImportResult import_keepalived_pair(const std::string& first, const std::string& second) {
    auto a = import_keepalived(first), b = import_keepalived(second);
    ImportResult result;
    result.notes = std::move(a.notes);
    result.notes.insert(result.notes.end(), b.notes.begin(), b.notes.end());
    if (!a.ok || !b.ok) {
        result.ok = false;
        return result;
    }
    auto shared = YAML::Load(a.yaml);
    PairMerger merger(first, second, result.notes);
    result.ok = merger.merge(shared, YAML::Load(b.yaml));
    result.nodes = merger.names();
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "nodes" << YAML::Value << merger.nodes();
    for (const auto& entry : shared) out << YAML::Key << entry.first << YAML::Value << entry.second;
    out << YAML::EndMap;
    result.yaml = fmt::format(
        "# Converted from {} and {} by directorctl import-keepalived: one cluster file.\n{}\n",
        first, second, out.c_str());
    return result;
}

}  // namespace directord::config
