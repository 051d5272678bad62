#pragma once
// What a configuration changes against the running one, as the reload reports it: one line per
// VRRP instance, sync group or virtual server added, removed or changed (and what in it), and
// per global section. Pure; computed where the new file is parsed (off the event loop: tens of
// thousands of real servers are compared).
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::config {

struct Changes {
    std::vector<std::string> lines;  // at most kMaxLines, then "... and N more"
    std::size_t count = 0;           // every change, listed or not
    static constexpr std::size_t kMaxLines = 50;
    bool empty() const { return count == 0; }
};

// `before` null: nothing runs yet (every item is added).
Changes describe_changes(const Config* before, const Config& after);

}  // namespace directord::config
