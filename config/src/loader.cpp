#include "directord/config/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "cluster.hpp"
#include "directord/config/settled_file.hpp"
#include "sections.hpp"

namespace directord::config {

std::string Error::to_string() const {
    std::string where = fmt::format("{}:{}:{}", location.file, location.line, location.column);
    if (key_path.empty()) return fmt::format("{}: {}", where, message);
    return fmt::format("{}: {}: {}", where, key_path, message);
}

namespace {

using namespace detail;

LoadResult validate(const YAML::Node& root, const std::string& source) {
    Reader r(source);
    Config cfg;
    cfg.source = source;
    if (!root || root.IsNull()) {
        r.fail(root, "", "the file is empty");
    } else if (r.is_map(root, "")) {
        r.reject_unknown_keys(root, "",
                              {"router_id", "maintenance_file", "vrrp", "bgp", "virtual_servers",
                               "ipvs", "control", "process"});
        if (auto n = root["router_id"]) cfg.router_id = r.string(n, "router_id").value_or("");
        if (auto n = root["maintenance_file"]) {
            auto file = r.string(n, "maintenance_file");
            if (file && check_watchable(r, n, "maintenance_file", *file))
                cfg.maintenance_file = *file;
        }
        if (auto n = root["vrrp"]) read_vrrp(r, n, cfg);
        if (auto n = root["bgp"]) read_bgp(r, n, cfg);
        if (auto n = root["virtual_servers"]) read_virtual_servers(r, n, cfg);
        settle_bgp_vips(r, root["bgp"], cfg);
        if (auto n = root["ipvs"]) read_ipvs(r, n, cfg);
        if (auto n = root["control"]) read_control(r, n, cfg);
        read_process(r, root, cfg);  // last: it decides who every program runs as
    }
    if (!r.errors().empty()) return std::move(r.errors());
    return cfg;
}

}  // namespace

namespace {

using Parsed = std::variant<YAML::Node, std::vector<Error>>;

Parsed parse(const std::string& text, const std::string& source_name) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return std::vector<Error>{
            Error{Location{source_name, e.mark.line + 1, e.mark.column + 1}, "", e.msg}};
    }
}

std::variant<std::string, std::vector<Error>> read_text(const std::string& path) {
    auto text = read_settled_file(path);
    if (auto* error = std::get_if<SettledFileError>(&text))
        return std::vector<Error>{Error{Location{path, 0, 0}, "", error->message}};
    return std::get<std::string>(std::move(text));
}

bool is_cluster(const YAML::Node& root) { return root.IsMap() && root["nodes"]; }

// A cluster file's tree becomes `node`'s configuration in place; errors if it cannot.
std::vector<Error> resolve(YAML::Node root, const std::string& source, const std::string& node) {
    Reader r(source);
    auto nodes = read_nodes(r, root["nodes"]);
    if (!r.errors().empty()) return std::move(r.errors());
    auto self =
        std::find_if(nodes.begin(), nodes.end(), [&](const NodeSpec& n) { return n.name == node; });
    if (auto id = root["router_id"])
        r.fail(id, "router_id",
               "a cluster file names each director in nodes: (router_id there, default its "
               "name)");
    else if (node.empty())
        r.fail(root["nodes"], "nodes",
               fmt::format("this file describes a cluster (nodes: {}): choose a node (--node "
                           "NAME)",
                           node_list(nodes)));
    else if (self == nodes.end())
        r.fail(root["nodes"], "nodes",
               fmt::format("no node named '{}' (nodes: {}); choose one with --node", node,
                           node_list(nodes)));
    else
        apply_node(r, root, nodes, *self);
    return std::move(r.errors());
}

// Guards the validator: a shape it did not foresee is still a message, never a crash.
template <class Work>
auto guarded(const std::string& source_name, Work work) -> decltype(work()) {
    try {
        return work();
    } catch (const YAML::Exception& e) {
        return std::vector<Error>{Error{Location{source_name, e.mark.line + 1, e.mark.column + 1},
                                        "", "unexpected structure: " + e.msg}};
    }
}

}  // namespace

LoadResult load_text(const std::string& text, const std::string& source_name,
                     const std::string& node) {
    auto parsed = parse(text, source_name);
    if (auto* errors = std::get_if<std::vector<Error>>(&parsed)) return std::move(*errors);
    auto root = std::get<YAML::Node>(parsed);
    return guarded(source_name, [&]() -> LoadResult {
        if (is_cluster(root))
            if (auto errors = resolve(root, source_name, node); !errors.empty()) return errors;
        return validate(root, source_name);
    });
}

LoadResult load_file(const std::string& path, const std::string& node) {
    auto text = read_text(path);
    if (auto* errors = std::get_if<std::vector<Error>>(&text)) return std::move(*errors);
    return load_text(std::get<std::string>(text), path, node);
}

CheckedFile check_file(const std::string& path) {
    CheckedFile out;
    auto text = read_text(path);
    if (auto* errors = std::get_if<std::vector<Error>>(&text)) return {{}, std::move(*errors)};
    const auto& content = std::get<std::string>(text);
    auto parsed = parse(content, path);
    if (auto* errors = std::get_if<std::vector<Error>>(&parsed)) return {{}, std::move(*errors)};
    auto root = std::get<YAML::Node>(parsed);
    if (!is_cluster(root)) {
        auto loaded = load_text(content, path);
        if (auto* errors = std::get_if<std::vector<Error>>(&loaded)) out.errors = *errors;
        return out;
    }
    auto nodes = guarded(path, [&]() -> std::variant<std::vector<NodeSpec>, std::vector<Error>> {
        Reader r(path);
        auto read = read_nodes(r, root["nodes"]);
        if (!r.errors().empty()) return std::move(r.errors());
        return read;
    });
    if (auto* errors = std::get_if<std::vector<Error>>(&nodes)) return {{}, std::move(*errors)};
    const auto& specs = std::get<std::vector<NodeSpec>>(nodes);
    std::vector<Config> resolved;
    std::set<std::string> reported;  // a mistake in the shared part is one error, not one per node
    for (const auto& spec : specs) {
        out.nodes.push_back(spec.name);
        auto loaded = load_text(content, path, spec.name);
        if (auto* cfg = std::get_if<Config>(&loaded)) {
            resolved.push_back(std::move(*cfg));
            continue;
        }
        for (auto& e : std::get<std::vector<Error>>(loaded))
            if (reported.insert(e.to_string()).second) out.errors.push_back(std::move(e));
    }
    if (out.errors.empty()) out.errors = check_cluster(path, specs, resolved);
    return out;
}

std::variant<std::string, std::vector<Error>> render_node(const std::string& path,
                                                          const std::string& node) {
    auto text = read_text(path);
    if (auto* errors = std::get_if<std::vector<Error>>(&text)) return std::move(*errors);
    const auto& content = std::get<std::string>(text);
    auto loaded = load_text(content, path, node);
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded)) return std::move(*errors);
    auto root = std::get<YAML::Node>(parse(content, path));  // it parsed a moment ago
    if (is_cluster(root)) resolve(root, path, node);
    YAML::Emitter out;  // router_id first, where a director's own file has it
    out << YAML::BeginMap << YAML::Key << "router_id" << YAML::Value << root["router_id"];
    for (const auto& entry : root)
        if (entry.first.Scalar() != "router_id")
            out << YAML::Key << entry.first << YAML::Value << entry.second;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace directord::config
