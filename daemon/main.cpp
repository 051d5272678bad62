// directord: one event loop driving the VRRP engine, the health checks and IPVS.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "commands.hpp"
#include "control.hpp"
#include "director.hpp"
#include "directord/bgp/routes.hpp"
#include "directord/duration.hpp"
#include "directord/host_name.hpp"
#include "directord/io_error.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/log.hpp"
#include "directord/vrrp/engine.hpp"
#include "loading.hpp"
#include "loop_lag.hpp"
#include "metrics_server.hpp"
#include "operator_state.hpp"
#include "sd_notify.hpp"
#include "status.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitInvalid = 2;

const char* kUsage =
    "usage: directord -f FILE [--check] [--foreground] [--log-level debug|info|warning|error] "
    "[--syslog] [--control-socket PATH] [--state-file PATH] [--node NAME]\n"
    "  -f, --config FILE   cluster definition (YAML)\n"
    "  --node NAME         which of a cluster file's nodes this director is (default: the host "
    "name)\n"
    "  --check             validate FILE, print every error, exit 0 (valid) or 2 (invalid)\n"
    "  --withdraw-routes   remove the announce routes of FILE's bgp.route_protocol and exit\n"
    "                      (the unit's OnFailure=, once restarts are exhausted)\n"
    "  --foreground        stay in the foreground and log to stderr (default: detach, log to "
    "syslog)\n"
    "  --syslog            log to syslog even in the foreground\n"
    "  --log-level LEVEL   least severe level logged (default info)\n"
    "  --control-socket PATH  directorctl's socket (overrides control.socket)\n"
    "  --state-file PATH   where drains and operator weights are kept across restarts\n"
    "                      (default /var/lib/directord/state.json)\n"
    "  -V, --version       print the version and exit\n"
    "signals: SIGHUP reloads (an invalid file is rejected, the running configuration stays);\n"
    "         SIGUSR1 logs every instance's state, priority and counters;\n"
    "         SIGTERM/SIGINT hand over gracefully (priority-0 adverts, VIPs removed, announced\n"
    "         addresses withdrawn and drained) and exit 0\n";

struct Options {
    std::string config_file;
    bool check = false;
    bool withdraw_routes = false;
    bool foreground = false;
    bool syslog = false;
    std::string control_socket;
    std::string state_file = "/var/lib/directord/state.json";
    std::string node;
    directord::log::Level level = directord::log::Level::info;
};

std::optional<Options> parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (arg == "-f" || arg == "--config") {
            auto v = value();
            if (!v) return std::nullopt;
            o.config_file = *v;
        } else if (arg == "--check" || arg == "-t") {
            o.check = true;
        } else if (arg == "--withdraw-routes") {
            o.withdraw_routes = true;
        } else if (arg == "--foreground" || arg == "-n") {
            o.foreground = true;
        } else if (arg == "--syslog") {
            o.syslog = true;
        } else if (arg == "--control-socket") {
            auto v = value();
            if (!v || v->empty() || v->front() != '/') return std::nullopt;
            o.control_socket = *v;
        } else if (arg == "--state-file") {
            auto v = value();
            if (!v || v->empty()) return std::nullopt;
            o.state_file = *v;
        } else if (arg == "--node") {
            auto v = value();
            if (!v || v->empty()) return std::nullopt;
            o.node = *v;
        } else if (arg == "--log-level") {
            auto v = value();
            if (!v || !directord::log::parse_level(*v, o.level)) return std::nullopt;
        } else if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(kExitOk);
        } else if (arg == "-V" || arg == "--version") {
            std::puts("directord " DIRECTORD_VERSION);
            std::exit(kExitOk);
        } else {
            return std::nullopt;
        }
    }
    if (o.config_file.empty()) return std::nullopt;
    return o;
}

void report(const directord::daemon::Errors& errors) {
    for (const auto& e : errors) fmt::print(stderr, "{}\n", e.to_string());
}

// Checks need descriptors whatever clients do: take the hard limit (the soft default, 1,024,
// is what a flood of clients or a large farm runs into first).
void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        directord::log::warning("cannot raise the descriptor limit: {}", std::strerror(errno));
}

// A director that will not come back stops being announced: routers send its flows elsewhere.
int withdraw_routes(const directord::config::Config& cfg) {
    if (!cfg.bgp) {
        fmt::print("no bgp: section: nothing to withdraw\n");
        return kExitOk;
    }
    try {
        auto routes = directord::bgp::kernel_routes(cfg.bgp->route_protocol);
        int failed = 0;
        for (const auto& address : routes->read().announced) {
            auto error = routes->set_announced(address, false);
            fmt::print("{}\n", error ? *error : "withdrawn " + address.to_string());
            failed += error.has_value();
        }
        return failed ? kExitRuntime : kExitOk;
    } catch (const directord::IoError& e) {
        fmt::print(stderr, "directord: {}\n", e.what());
        return kExitRuntime;
    }
}

// How long a stop waits for the notify hooks of its own transitions.
constexpr auto kHookGrace = std::chrono::seconds(10);

// Ends the loop once the notify hooks of the stop have run (at most until `hooks_deadline`) and
// the withdrawn routes have drained (not before `drained`: routers still send to this host).
void stop_when_done(boost::asio::io_context& io, const directord::vrrp::Engine& engine,
                    std::chrono::steady_clock::time_point drained,
                    std::chrono::steady_clock::time_point hooks_deadline) {
    const auto now = std::chrono::steady_clock::now();
    const bool hooks_done = !engine.notifying() || now >= hooks_deadline;
    if (hooks_done && now >= drained) {
        if (engine.notifying())
            directord::log::warning(
                "stop: notify hooks still running after {}s: not waiting for them",
                kHookGrace.count());
        io.stop();
        return;
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(10));
    timer->async_wait(
        [&io, &engine, drained, hooks_deadline, timer](const boost::system::error_code&) {
            stop_when_done(io, engine, drained, hooks_deadline);
        });
}

}  // namespace

int main(int argc, char** argv) {
    namespace log = directord::log;
    namespace daemon = directord::daemon;
    auto options = parse_options(argc, argv);
    if (!options) {
        std::fputs(kUsage, stderr);
        return kExitInvalid;
    }
    log::set_level(options->level);

    const daemon::Source source{options->config_file,
                                options->node.empty() ? directord::host_name() : options->node};
    auto parsed = daemon::load(source);
    if (auto* errors = std::get_if<daemon::Errors>(&parsed)) {
        report(*errors);
        return kExitInvalid;
    }
    auto loaded = std::make_optional(std::move(std::get<daemon::Loaded>(parsed)));
    parsed = {};
    if (options->withdraw_routes) return withdraw_routes(loaded->config);
    if (options->check) {
        fmt::print("{}: OK ({})\n", options->config_file, daemon::summary(loaded->config));
        return kExitOk;
    }
    if (!options->foreground) {
        if (::daemon(0, 0) != 0) {
            std::perror("directord: daemon");
            return kExitRuntime;
        }
        options->syslog = true;
    }
    log::use_syslog(options->syslog);
    if (!options->syslog) log::use_journal_if_stderr_is_it();
    raise_descriptor_limit();

    boost::asio::io_context io;
    try {
        daemon::SystemdNotifier systemd(io);
        daemon::DaemonInfo info{options->config_file, loaded->config.router_id};
        daemon::LoopLagProbe loop_lag(io, info.loop_lag);
        auto control_settings = loaded->config.control;  // bound once, at start
        if (!options->control_socket.empty()) control_settings.socket = options->control_socket;
        daemon::Director director(io, options->state_file, info);
        log::info("directord {} starting (router_id {}, config {})", DIRECTORD_VERSION,
                  info.router_id.empty() ? "-" : info.router_id, options->config_file);
        auto summary = daemon::summary(loaded->config);
        director.configure(*loaded, false);
        loaded.reset();  // the parts keep what they need
        daemon::release_free_memory();

        daemon::Reloader reloader(
            io, source, [&] { return director.running(); },
            [&](daemon::Loaded& l, bool check_only) { return director.configure(l, check_only); });
        // Every reload (SIGHUP or directorctl) goes through here: counted, told to systemd.
        auto reload = [&](daemon::Reloader::Outcome outcome, bool check_only) {
            if (!check_only) systemd.reloading();
            reloader.request(
                [&, outcome, check_only](const daemon::ReloadResult& result) {
                    // A check that found errors is no failed reload: nothing was asked of it.
                    if (result.applied || !check_only) {
                        ++(result.applied ? info.reloads : info.reload_failures);
                        director.events().publish(daemon::reload_event(result));
                    }
                    if (!check_only)
                        systemd.ready(result.errors.empty() ? "running"
                                                            : "running (last reload rejected)");
                    if (outcome) outcome(result);
                },
                check_only);
        };
        daemon::Renderer renderer(io, director.parts());
        daemon::ControlSocket control(io, control_settings.socket, info.control_rejected);
        daemon::add_commands(control, {director.engine(), director.ipvs(), renderer, reload,
                                       director.operator_state(), director.events()});
        std::optional<daemon::MetricsServer> metrics;
        if (control_settings.metrics) {
            try {
                metrics.emplace(io,
                                boost::asio::ip::tcp::endpoint(control_settings.metrics->address,
                                                               control_settings.metrics->port),
                                renderer);
            } catch (const std::runtime_error& e) {
                log::error("{}: running without metrics", e.what());
            }
        }

        boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
        signals.add(SIGUSR1);
        std::function<void(const boost::system::error_code&, int)> on_signal =
            [&](const boost::system::error_code& ec, int signal) {
                if (ec) return;
                if (signal == SIGUSR1) {
                    director.log_status();
                    signals.async_wait(on_signal);
                    return;
                }
                if (signal == SIGHUP) {
                    if (!director.stopping()) {
                        log::info("SIGHUP: reload requested");
                        reload({}, false);
                    }
                    signals.async_wait(on_signal);
                    return;
                }
                if (director.stopping()) {  // a second signal: stop without waiting for hooks
                    io.stop();
                    return;
                }
                log::info("{}: handing over and stopping",
                          signal == SIGTERM ? "SIGTERM" : "SIGINT");
                systemd.stopping();
                auto drain = director.stop();
                signals.async_wait(on_signal);
                // The hooks of the stop transitions run before the process ends.
                const auto now = std::chrono::steady_clock::now();
                if (drain.count())
                    log::info("bgp: waiting {} for routers to drain before exiting",
                              directord::format_duration(drain));
                stop_when_done(io, director.engine(), now + drain, now + kHookGrace);
            };
        signals.async_wait(on_signal);
        systemd.ready("running: " + summary);
        io.run();
    } catch (const directord::IoError& e) {
        log::error("fatal: {}", e.what());
        return kExitRuntime;
    } catch (const std::runtime_error& e) {
        log::error("fatal: {}", e.what());
        return kExitRuntime;
    }
    log::info("directord stopped");
    return kExitOk;
}
