#pragma once
#include <string>
#include <variant>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::config {

struct Error {
    Location location;
    std::string key_path;  // e.g. "vrrp.instances[0].vrid"
    std::string message;
    // "file:line:col: key.path: message"
    std::string to_string() const;
};

using LoadResult = std::variant<Config, std::vector<Error>>;

// Parses and validates a whole file; on failure returns every error found, not just the first.
// A cluster file (`nodes:`) describes every director: `node` picks whose configuration is
// loaded (the shared part with that node's settings in place). A file without `nodes:` is one
// director's, whatever `node` says.
LoadResult load_file(const std::string& path, const std::string& node = "");
// Same, from text already in memory; `source_name` is used in messages.
LoadResult load_text(const std::string& text, const std::string& source_name,
                     const std::string& node = "");

// directorctl check: a cluster file's every node resolved and validated, and the rules between
// the nodes (distinct priorities per VRID, one address owner); a plain file validated alone.
struct CheckedFile {
    std::vector<std::string> nodes;  // empty: not a cluster file
    std::vector<Error> errors;       // empty: valid
};
CheckedFile check_file(const std::string& path);

// directorctl render: one node's configuration as the YAML the daemon would load.
std::variant<std::string, std::vector<Error>> render_node(const std::string& path,
                                                          const std::string& node);

}  // namespace directord::config
