#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "reader.hpp"

namespace directord::config::detail {

// keepalived's rule (enable_script_security), applied to the path with its links resolved:
// every part is root's, and neither the program nor a directory without the sticky bit is
// writable by a group other than root's or by others. Otherwise whoever may write there may
// replace what directord runs.
std::optional<std::string> unsafe_program(const std::string& program) {
    std::unique_ptr<char, decltype(&std::free)> real(realpath(program.c_str(), nullptr),
                                                     &std::free);
    if (!real) return fmt::format("'{}' cannot be resolved: {}", program, std::strerror(errno));
    std::string path = real.get();
    for (std::size_t end = path.size(); end != std::string::npos;) {
        std::string part = end == 0 ? "/" : path.substr(0, end);
        struct stat st {};
        if (stat(part.c_str(), &st) != 0) return fmt::format("{}: {}", part, std::strerror(errno));
        const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
        std::string why;
        if (st.st_uid != 0)
            why = fmt::format("is owned by uid {}", st.st_uid);
        else if (!sticky_dir && (st.st_mode & S_IWOTH))
            why = "is writable by others";
        else if (!sticky_dir && st.st_gid != 0 && (st.st_mode & S_IWGRP))
            why = fmt::format("is writable by group {}", st.st_gid);
        if (!why.empty())
            return fmt::format(
                "'{}' is not safe to run: {} {} (the program and every directory above it must "
                "be root's and writable by root alone)",
                program, part, why);
        end = end == 0 ? std::string::npos : path.rfind('/', end - 1);
    }
    return std::nullopt;
}

}  // namespace directord::config::detail
