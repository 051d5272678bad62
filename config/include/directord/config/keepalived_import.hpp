#pragma once
// keepalived.conf -> directord YAML, for operators moving an existing pair over. Pure apart
// from reading the file and its includes. What cannot be converted, and what changes meaning
// on the way, is told as a note with its file and line; nothing is dropped silently.
#include <string>
#include <vector>

namespace directord::config {

struct ImportNote {
    std::string file;
    int line = 0;
    bool converted = false;  // true: converted with a change worth knowing; false: left out
    std::string message;
    // "keepalived.conf:12: not converted: smtp_alert" / "...: note: ...".
    std::string to_string() const;
};

struct ImportResult {
    std::string yaml;
    std::vector<ImportNote> notes;
    bool ok = true;  // false: the file could not be read or parsed at all (see notes)
};

ImportResult import_keepalived(const std::string& path);

}  // namespace directord::config
