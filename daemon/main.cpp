// directord: one event loop driving the VRRP engine, the health checks and IPVS.
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
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
#include <variant>

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

// A valid file, and what the parts can build from it before the loop takes it over.
struct Loaded {
    directord::config::Config config;
    directord::ipvs::Pools pools;
};
using Parsed = std::variant<Loaded, std::vector<directord::config::Error>>;

// For the threads that work beside the loop: on a busy (or single-CPU) director the loop
// must get the CPU as soon as an advert is due. Linux sets a nice value per thread.
void yield_to_the_loop() { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); }

// Runs off the event loop: parsing tens of thousands of real servers takes seconds.
Parsed parse_and_prepare(const std::string& file) {
    yield_to_the_loop();
    auto result = directord::config::load_file(file);
    if (auto* errors = std::get_if<std::vector<directord::config::Error>>(&result))
        return std::move(*errors);
    auto& cfg = std::get<directord::config::Config>(result);
    directord::ipvs::Pools pools(cfg);
    return Loaded{std::move(cfg), std::move(pools)};
}

// Parsed on a short-lived thread: glibc gives it its own heap arena, so the parser's garbage
// (megabytes for tens of thousands of real servers) is not left interleaved with the daemon's
// long-lived state and goes back to the system whole once applied.
std::optional<Loaded> load(const std::string& file) {
    Parsed result;
    std::thread([&] { result = parse_and_prepare(file); }).join();
    if (auto* loaded = std::get_if<Loaded>(&result)) return std::move(*loaded);
    report(std::get<std::vector<directord::config::Error>>(result), true);
    return std::nullopt;
}

// SIGHUP: the file is parsed on a thread while the loop goes on, then a valid result is
// applied on the loop; what it leaves behind is freed on a thread again. A SIGHUP during a
// parse asks for one more.
class Reloader {
  public:
    using Apply = std::function<void(Loaded&)>;
    Reloader(boost::asio::io_context& io, std::string file, Apply apply)
        : io_(io), file_(std::move(file)), apply_(std::move(apply)) {}
    ~Reloader() {
        if (worker_.joinable()) worker_.join();
    }
    void request() {
        if (parsing_) {
            again_ = true;
            return;
        }
        if (worker_.joinable()) worker_.join();  // the previous clean-up: short
        directord::log::info("SIGHUP: reloading {}", file_);
        parsing_ = true;
        worker_ = std::thread([this] {
            auto result = parse_and_prepare(file_);
            boost::asio::post(
                io_, [this, result = std::move(result)]() mutable { finished(std::move(result)); });
        });
    }

  private:
    void finished(Parsed result) {
        worker_.join();
        parsing_ = false;
        if (auto* loaded = std::get_if<Loaded>(&result)) {
            apply_(*loaded);
            directord::log::info("reload done");
            worker_ = std::thread([garbage = std::move(result)]() mutable {
                yield_to_the_loop();
                garbage = {};
                release_free_memory();
            });
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
    bool parsing_ = false;
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
        auto loaded = load(options->config_file);
        if (!loaded) return kExitInvalid;
        const auto& cfg = loaded->config;
        fmt::print("{}: OK ({} VRRP instance(s), {} sync group(s), {} virtual server(s))\n",
                   options->config_file, cfg.instances.size(), cfg.sync_groups.size(),
                   cfg.virtual_servers.size());
        return kExitOk;
    }

    auto loaded = load(options->config_file);
    if (!loaded) return kExitInvalid;
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
        auto apply = [&](Loaded& l) {
            const auto& c = l.config;
            engine.apply(c);
            checker.apply(c);
            ipvs.apply(c, std::move(l.pools));
            checker.for_each_state([&](const directord::healthcheck::RealServerRef& rs, bool up) {
                ipvs.set_health(rs.virtual_server, rs.real_server, up);
            });
        };
        log::info("directord starting (router_id {}, config {})",
                  loaded->config.router_id.empty() ? "-" : loaded->config.router_id,
                  options->config_file);
        apply(*loaded);
        loaded.reset();  // the parts keep what they need
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
