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
    // "keepalived.conf:12: not converted: smtp_alert" / "...: note: ..." (line 0: the file as
    // a whole, "b.conf: note: ...").
    std::string to_string() const;
};

struct ImportResult {
    std::string yaml;
    std::vector<ImportNote> notes;
    bool ok = true;  // false: the file could not be read or parsed at all (see notes)
    std::vector<std::string> nodes;  // a pair's cluster file: its nodes' names
};

ImportResult import_keepalived(const std::string& path);

// The two files of a pair -> one cluster file (nodes: named by their router_id). Priority,
// preempt, interface and each node's unicast address become per-node settings, each said in a
// note; anything else that differs (a password, a VIP list, a service) is a note that is not
// converted and `ok` is false: a difference to fix, not a detail to carry over.
ImportResult import_keepalived_pair(const std::string& first, const std::string& second);

}  // namespace directord::config
