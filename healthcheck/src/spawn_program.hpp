#pragma once
// Starts a program in a process group of its own (a timeout kills its children too), stdin on
// /dev/null, stdout and stderr on one descriptor, signals at their defaults, as a given user.
#include <sys/types.h>

#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::healthcheck {

struct Spawned {
    pid_t pid = -1;     // -1: not started, see `error`
    std::string error;  // "/usr/local/bin/x: Permission denied", "run as uid 65534: ..."
};

// `argv` and `env` end with a null pointer.
Spawned spawn_program(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                      const config::RunAs& as);

}  // namespace directord::healthcheck
