#pragma once
// `directorctl status`: the status document (status.hpp) as tables for people.
#include <nlohmann/json.hpp>

namespace directord::daemon {

void print_status(const nlohmann::json& status);

}  // namespace directord::daemon
