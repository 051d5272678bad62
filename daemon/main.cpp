// directord: one event loop driving the VRRP engine (and, next, health checks and IPVS).
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "directord/config/loader.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/ipvs/programmer.hpp"
#include "directord/log.hpp"
#include "directord/vrrp/engine.hpp"
#include "directord/vrrp/io_error.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitInvalid = 2;

const char* kUsage =
    "usage: directord -f FILE [--check] [--foreground] [--log-level debug|info|warning|error] "
    "[--syslog]\n"
    "  -f, --config FILE   cluster definition (YAML)\n"
    "  --check             validate FILE, print every error, exit 0 (valid) or 2 (invalid)\n"
    "  --foreground        stay in the foreground and log to stderr (default: detach, log to "
    "syslog)\n"
    "  --syslog            log to syslog even in the foreground\n"
    "  --log-level LEVEL   least severe level logged (default info)\n"
    "signals: SIGHUP reloads (an invalid file is rejected, the running configuration stays);\n"
    "         SIGUSR1 logs every instance's state, priority and counters;\n"
    "         SIGTERM/SIGINT hand over gracefully (priority-0 adverts, VIPs removed) and exit 0\n";

struct Options {
    std::string config_file;
    bool check = false;
    bool foreground = false;
    bool syslog = false;
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
        } else if (arg == "--foreground" || arg == "-n") {
            o.foreground = true;
        } else if (arg == "--syslog") {
            o.syslog = true;
        } else if (arg == "--log-level") {
            auto v = value();
            if (!v || !directord::log::parse_level(*v, o.level)) return std::nullopt;
        } else if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(kExitOk);
        } else {
            return std::nullopt;
        }
    }
    if (o.config_file.empty()) return std::nullopt;
    return o;
}

// Hands the freed parse and the applied configuration back to the system, so the daemon's
// footprint is what it keeps, not what it once read.
void release_free_memory() { malloc_trim(0); }

void report(const std::vector<directord::config::Error>& errors, bool to_stderr) {
    for (const auto& e : errors) {
        if (to_stderr)
            fmt::print(stderr, "{}\n", e.to_string());
        else
            directord::log::error("config: {}", e.to_string());
    }
}

// Parsed on a short-lived thread: glibc gives it its own heap arena, so the parser's garbage
// (megabytes for tens of thousands of real servers) is not left interleaved with the daemon's
// long-lived state and goes back to the system whole once applied.
directord::config::LoadResult parse(const std::string& file) {
    directord::config::LoadResult result;
    std::thread([&] { result = directord::config::load_file(file); }).join();
    return result;
}

// Prints every error; returns the configuration when valid.
std::optional<directord::config::Config> load(const std::string& file) {
    auto result = parse(file);
    if (auto* cfg = std::get_if<directord::config::Config>(&result)) return std::move(*cfg);
    report(std::get<std::vector<directord::config::Error>>(result), true);
    return std::nullopt;
}

// SIGHUP: the file is parsed on a thread while the loop goes on (a file with tens of thousands
// of real servers takes seconds to parse; adverts must not wait), then validated results are
// applied on the loop. A SIGHUP during a parse asks for one more.
class Reloader {
  public:
    using Apply = std::function<void(const directord::config::Config&)>;
    Reloader(boost::asio::io_context& io, std::string file, Apply apply)
        : io_(io), file_(std::move(file)), apply_(std::move(apply)) {}
    ~Reloader() {
        if (worker_.joinable()) worker_.join();
    }
    void request() {
        if (worker_.joinable()) {
            again_ = true;
            return;
        }
        directord::log::info("SIGHUP: reloading {}", file_);
        worker_ = std::thread([this] {
            auto result = directord::config::load_file(file_);
            boost::asio::post(
                io_, [this, result = std::move(result)]() mutable { finished(std::move(result)); });
        });
    }

  private:
    void finished(directord::config::LoadResult result) {
        worker_.join();
        if (auto* cfg = std::get_if<directord::config::Config>(&result)) {
            apply_(*cfg);
            result = {};
            release_free_memory();
            directord::log::info("reload done");
        } else {
            report(std::get<std::vector<directord::config::Error>>(result), false);
            directord::log::error("reload rejected: {} is invalid, the running configuration stays",
                                  file_);
        }
        if (std::exchange(again_, false)) request();
    }

    boost::asio::io_context& io_;
    std::string file_;
    Apply apply_;
    std::thread worker_;
    bool again_ = false;
};

}  // namespace

int main(int argc, char** argv) {
    namespace log = directord::log;
    auto options = parse_options(argc, argv);
    if (!options) {
        std::fputs(kUsage, stderr);
        return kExitInvalid;
    }
    log::set_level(options->level);

    if (options->check) {
        auto cfg = load(options->config_file);
        if (!cfg) return kExitInvalid;
        fmt::print("{}: OK ({} VRRP instance(s), {} sync group(s), {} virtual server(s))\n",
                   options->config_file, cfg->instances.size(), cfg->sync_groups.size(),
                   cfg->virtual_servers.size());
        return kExitOk;
    }

    auto cfg = load(options->config_file);
    if (!cfg) return kExitInvalid;
    if (!options->foreground) {
        if (daemon(0, 0) != 0) {
            std::perror("directord: daemon");
            return kExitRuntime;
        }
        options->syslog = true;
    }
    log::use_syslog(options->syslog);

    boost::asio::io_context io;
    try {
        directord::vrrp::Engine engine(io);
        directord::healthcheck::HealthChecker checker(io);
        directord::ipvs::Programmer ipvs(io);
        // IPVS follows the checks and the VRRP roles.
        checker.subscribe([&](const directord::healthcheck::HealthEvent& e) {
            ipvs.set_health(e.who.virtual_server, e.who.real_server, e.up);
        });
        engine.on_role(
            [&](const std::string& instance, bool master) { ipvs.set_role(instance, master); });
        auto apply = [&](const directord::config::Config& c) {
            engine.apply(c);
            checker.apply(c);
            ipvs.apply(c);
            checker.for_each_state([&](const directord::healthcheck::RealServerRef& rs, bool up) {
                ipvs.set_health(rs.virtual_server, rs.real_server, up);
            });
        };
        log::info("directord starting (router_id {}, config {})",
                  cfg->router_id.empty() ? "-" : cfg->router_id, options->config_file);
        apply(*cfg);
        cfg.reset();  // the parts keep what they need
        release_free_memory();

        Reloader reloader(io, options->config_file, apply);
        boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
        signals.add(SIGUSR1);
        std::function<void(const boost::system::error_code&, int)> on_signal =
            [&](const boost::system::error_code& ec, int signal) {
                if (ec) return;
                if (signal == SIGUSR1) {
                    engine.log_status();
                    checker.log_status();
                    ipvs.log_status();
                    signals.async_wait(on_signal);
                    return;
                }
                if (signal == SIGHUP) {
                    reloader.request();
                    signals.async_wait(on_signal);
                    return;
                }
                log::info("{}: handing over and stopping",
                          signal == SIGTERM ? "SIGTERM" : "SIGINT");
                engine.shutdown();
                ipvs.shutdown();
                io.stop();
            };
        signals.async_wait(on_signal);
        io.run();
    } catch (const directord::vrrp::IoError& e) {
        log::error("fatal: {}", e.what());
        return kExitRuntime;
    }
    log::info("directord stopped");
    return kExitOk;
}
