#include "directord/ipvs/sloppy.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "directord/log.hpp"

namespace directord::ipvs {

namespace {
std::string path_of(std::string_view protocol) {
    return "/proc/sys/net/ipv4/vs/sloppy_" + std::string(protocol);
}
}  // namespace

std::optional<bool> sloppy(std::string_view protocol) {
    std::ifstream in(path_of(protocol));
    int value = 0;
    if (!(in >> value)) return std::nullopt;
    return value != 0;
}

std::optional<std::string> require_sloppy(std::string_view protocol) {
    auto now = sloppy(protocol);
    if (!now) return "net.ipv4.vs.sloppy_" + std::string(protocol) + ": not readable (no IPVS)";
    if (*now) return std::nullopt;
    std::ofstream out(path_of(protocol));
    out << "1\n";
    out.flush();
    if (!out)
        return "net.ipv4.vs.sloppy_" + std::string(protocol) +
               ": cannot set it: " + std::strerror(errno);
    log::info(
        "ipvs: net.ipv4.vs.sloppy_{} set to 1 (was 0): a flow moved to this director by the "
        "router goes on here",
        protocol);
    return std::nullopt;
}

}  // namespace directord::ipvs
