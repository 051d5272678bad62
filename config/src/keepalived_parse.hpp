#pragma once
// keepalived.conf read into statements (keyword, arguments, block), includes spliced in, with
// their file and line: the importer's input, internal to config/.
#include <optional>
#include <string>
#include <vector>

#include "directord/config/keepalived_import.hpp"

namespace directord::config::detail {

struct Statement {
    std::string keyword;
    std::vector<std::string> args;
    std::string file;
    int line = 0;
    bool block = false;
    std::vector<Statement> children;

    std::string arg(std::size_t i, const std::string& otherwise = "") const {
        return i < args.size() ? args[i] : otherwise;
    }
    std::string joined() const {
        std::string out;
        for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
        return out;
    }
    const Statement* child(const std::string& name) const {
        for (const auto& c : children)
            if (c.keyword == name) return &c;
        return nullptr;
    }
};

// Reads `path` and its includes; what cannot be read or parsed is a note. Nothing: `path`
// itself cannot be read.
std::optional<std::vector<Statement>> read_statements(const std::string& path,
                                                      std::vector<ImportNote>& notes);

}  // namespace directord::config::detail
