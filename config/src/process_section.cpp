// The `process` section, and who each program the configuration names runs as.
#include <pwd.h>

#include <algorithm>
#include <functional>

#include "sections.hpp"

namespace directord::config::detail {
namespace {

// The user's ids and main group, or none.
std::optional<RunAs> look_up(const std::string& user) {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return std::nullopt;
    return RunAs{found->pw_uid, found->pw_gid};
}

// Every program of `cfg` with where its run_as goes.
void for_each_program(Config& cfg,
                      const std::function<void(const std::vector<std::string>&, RunAs&)>& visit) {
    auto check = [&](Check& c) {
        if (auto* script = std::get_if<ScriptCheck>(&c.kind)) visit(script->argv, script->run_as);
    };
    for (auto& i : cfg.instances) {
        if (!i.notify.empty()) visit(i.notify, i.notify_as);
        for (auto& s : i.track_scripts) visit(s.argv, s.run_as);
        for (auto& t : i.track_checks) check(t.check);
    }
    if (cfg.bgp && !cfg.bgp->status_command.empty())
        visit(cfg.bgp->status_command, cfg.bgp->status_as);
    if (cfg.bgp && !cfg.bgp->bfd_command.empty()) visit(cfg.bgp->bfd_command, cfg.bgp->bfd_as);
    for (auto& vs : cfg.virtual_servers) {
        if (!vs.notify.empty()) visit(vs.notify, vs.notify_as);
        if (vs.check) check(*vs.check);
        for (auto& rs : vs.real_servers)
            if (rs.check) check(*rs.check);
    }
}

}  // namespace

void read_process(Reader& r, const YAML::Node& root, Config& cfg) {
    const std::string path = "process";
    auto node = root[path];
    if (node && r.is_map(node, path)) {
        r.reject_unknown_keys(node, path, {"nice", "script_user", "root_programs"});
        r.optional_integer(node, path, "nice", cfg.process.nice, -20, 19);
        r.optional_string(node, path, "script_user", cfg.process.script_user);
        if (auto list = node["root_programs"]) {
            auto lp = Reader::join(path, "root_programs");
            cfg.process.root_programs = read_list<std::string>(
                r, list, lp, [&](auto& x, auto p) -> std::optional<std::string> {
                    auto program = r.string(x, p);
                    if (program && program->front() != '/') {
                        r.fail(x, p, "a program is named by its absolute path");
                        return std::nullopt;
                    }
                    return program;
                });
        }
    }
    const auto& roots = cfg.process.root_programs;
    std::optional<std::optional<RunAs>> user;  // looked up once, if a program needs it
    bool told = false;
    for_each_program(cfg, [&](const std::vector<std::string>& argv, RunAs& run_as) {
        if (std::find(roots.begin(), roots.end(), argv.front()) != roots.end()) {
            run_as = RunAs{};
            return;
        }
        if (!user) user = look_up(cfg.process.script_user);
        if (*user) {
            run_as = **user;
        } else if (!std::exchange(told, true)) {
            auto where = node && node["script_user"] ? node["script_user"] : root;
            r.fail(where, Reader::join(path, "script_user"),
                   "no user '" + cfg.process.script_user +
                       "' on this host to run programs as: name one, or list the programs to run "
                       "as root in process.root_programs");
        }
    });
}

}  // namespace directord::config::detail
