#include "directord/host_name.hpp"

#include <unistd.h>

namespace directord {

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return {};
    return std::string(name);
}

}  // namespace directord
