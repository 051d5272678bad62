// An instance's `track` section (scripts, interfaces, files and checks) and the file checks of
// real servers, watched files too.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "sections.hpp"

namespace directord::config::detail {

std::optional<TrackScript> read_track_script(Reader& r, const YAML::Node& node,
                                             const std::string& path) {
    using namespace std::chrono_literals;
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path,
                          {"name", "run", "interval", "timeout", "weight", "fall", "rise"});
    TrackScript s;
    if (auto n = r.required(node, path, "name"))
        s.name = r.string(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "run")) s.argv = r.argv(n, Reader::join(path, "run"));
    r.optional_duration(node, path, "interval", s.interval, 10ms, 3600s);
    s.timeout = s.interval;
    r.optional_duration(node, path, "timeout", s.timeout, 10ms, 3600s);
    r.optional_integer(node, path, "weight", s.weight, -254, 254);
    r.optional_integer(node, path, "fall", s.fall, 1, 100);
    r.optional_integer(node, path, "rise", s.rise, 1, 100);
    return s;
}

std::optional<TrackInterface> read_track_interface(Reader& r, const YAML::Node& node,
                                                   const std::string& path) {
    TrackInterface t;
    if (node.IsScalar()) {
        t.name = node.Scalar();
        return t;
    }
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"name", "weight"});
    if (auto n = r.required(node, path, "name"))
        t.name = r.string(n, Reader::join(path, "name")).value_or("");
    r.optional_integer(node, path, "weight", t.weight, -254, 254);
    return t;
}

// The watched file itself may come and go; its directory must exist or no watch can be set.
bool check_watchable(Reader& r, const YAML::Node& node, const std::string& path,
                     const std::string& file) {
    std::filesystem::path p(file);
    if (!p.is_absolute()) {
        r.fail(node, path, fmt::format("'{}' must be an absolute path", file));
        return false;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(p.parent_path(), ec)) {
        r.fail(node, path, fmt::format("directory '{}' does not exist", p.parent_path().string()));
        return false;
    }
    return true;
}

std::optional<TrackFile> read_track_file(Reader& r, const YAML::Node& node,
                                         const std::string& path) {
    TrackFile t;
    const YAML::Node path_node = node.IsMap() ? node["path"] : node;
    if (node.IsScalar()) {
        t.path = node.Scalar();
    } else {
        if (!r.is_map(node, path)) return std::nullopt;
        r.reject_unknown_keys(node, path, {"path", "weight"});
        if (!r.required(node, path, "path")) return std::nullopt;
        t.path = r.string(path_node, Reader::join(path, "path")).value_or("");
        r.optional_integer(node, path, "weight", t.weight, -254, 254);
    }
    if (!check_watchable(r, path_node, path, t.path)) return std::nullopt;
    return t;
}

std::optional<FileCheck> read_file_check(Reader& r, const YAML::Node& node,
                                         const std::string& path) {
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"path", "weight", "reverse"});
    FileCheck f;
    auto path_node = r.required(node, path, "path");
    if (!path_node) return std::nullopt;
    f.path = r.string(path_node, Reader::join(path, "path")).value_or("");
    // keepalived's range: the weight multiplies a 32-bit number into a 32-bit IPVS weight.
    r.optional_integer(node, path, "weight", f.weight, -2147483647, 2147483647);
    r.optional_boolean(node, path, "reverse", f.reverse);
    if (!check_watchable(r, path_node, Reader::join(path, "path"), f.path)) return std::nullopt;
    return f;
}

std::optional<TrackCheck> read_track_check(Reader& r, const YAML::Node& node,
                                           const std::string& path) {
    if (!r.is_map(node, path)) return std::nullopt;
    r.reject_unknown_keys(node, path, {"name", "target", "weight", "check"});
    TrackCheck t;
    std::size_t errors_before = r.errors().size();
    if (auto n = r.required(node, path, "name"))
        t.name = r.string(n, Reader::join(path, "name")).value_or("");
    if (auto n = r.required(node, path, "target")) {
        if (auto ep = read_endpoint(r, n, Reader::join(path, "target")))
            std::tie(t.address, t.port) = *ep;
    }
    r.optional_integer(node, path, "weight", t.weight, -254, 254);
    if (auto n = r.required(node, path, "check")) {
        if (auto c = read_check(r, n, Reader::join(path, "check"))) t.check = *c;
    }
    if (r.errors().size() != errors_before) return std::nullopt;
    return t;
}

void read_track(Reader& r, const YAML::Node& node, const std::string& path, Instance& inst) {
    if (!r.is_map(node, path)) return;
    r.reject_unknown_keys(node, path, {"scripts", "interfaces", "files", "checks"});
    if (auto n = node["checks"])
        inst.track_checks =
            read_list<TrackCheck>(r, n, Reader::join(path, "checks"),
                                  [&](auto& x, auto p) { return read_track_check(r, x, p); });
    if (auto n = node["scripts"])
        inst.track_scripts =
            read_list<TrackScript>(r, n, Reader::join(path, "scripts"),
                                   [&](auto& x, auto p) { return read_track_script(r, x, p); });
    if (auto n = node["interfaces"])
        inst.track_interfaces = read_list<TrackInterface>(
            r, n, Reader::join(path, "interfaces"),
            [&](auto& x, auto p) { return read_track_interface(r, x, p); });
    if (auto n = node["files"])
        inst.track_files =
            read_list<TrackFile>(r, n, Reader::join(path, "files"),
                                 [&](auto& x, auto p) { return read_track_file(r, x, p); });
}

}  // namespace directord::config::detail
