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
LoadResult load_file(const std::string& path);
// Same, from text already in memory; `source_name` is used in messages.
LoadResult load_text(const std::string& text, const std::string& source_name);

}  // namespace directord::config
