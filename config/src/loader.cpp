#include "directord/config/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

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
                              {"router_id", "maintenance_file", "vrrp", "virtual_servers", "ipvs",
                               "control", "process"});
        if (auto n = root["router_id"]) cfg.router_id = r.string(n, "router_id").value_or("");
        if (auto n = root["maintenance_file"]) {
            auto file = r.string(n, "maintenance_file");
            if (file && check_watchable(r, n, "maintenance_file", *file))
                cfg.maintenance_file = *file;
        }
        if (auto n = root["vrrp"]) read_vrrp(r, n, cfg);
        if (auto n = root["virtual_servers"]) read_virtual_servers(r, n, cfg);
        if (auto n = root["ipvs"]) read_ipvs(r, n, cfg);
        if (auto n = root["control"]) read_control(r, n, cfg);
        if (auto n = root["process"]; n && r.is_map(n, "process")) {
            r.reject_unknown_keys(n, "process", {"nice"});
            r.optional_integer(n, "process", "nice", cfg.process.nice, -20, 19);
        }
    }
    if (!r.errors().empty()) return std::move(r.errors());
    return cfg;
}

}  // namespace

LoadResult load_text(const std::string& text, const std::string& source_name) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return std::vector<Error>{
            Error{Location{source_name, e.mark.line + 1, e.mark.column + 1}, "", e.msg}};
    }
    try {
        return validate(root, source_name);
    } catch (const YAML::Exception& e) {
        // A shape the validator did not foresee must still be a message, never a crash.
        return std::vector<Error>{Error{Location{source_name, e.mark.line + 1, e.mark.column + 1},
                                        "", "unexpected structure: " + e.msg}};
    }
}

LoadResult load_file(const std::string& path) {
    auto text = read_settled_file(path);
    if (auto* error = std::get_if<SettledFileError>(&text))
        return std::vector<Error>{Error{Location{path, 0, 0}, "", error->message}};
    return load_text(std::get<std::string>(text), path);
}

}  // namespace directord::config
