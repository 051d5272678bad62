#include "loading.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "directord/log.hpp"

namespace directord::daemon {
namespace {

// For the threads that work beside the loop: on a busy (or single-CPU) director the loop
// must get the CPU as soon as an advert is due. Linux sets a nice value per thread.
void yield_to_the_loop() { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); }

Parsed parse_and_prepare(const Source& source, const config::Config* running) {
    yield_to_the_loop();
    auto result = config::load_file(source.file, source.node);
    if (auto* errors = std::get_if<Errors>(&result)) return std::move(*errors);
    auto& cfg = std::get<config::Config>(result);
    ipvs::Pools pools(cfg);
    healthcheck::CheckPlan checks(cfg);
    auto changes = config::describe_changes(running, cfg);
    return Loaded{std::move(cfg), std::move(pools), std::move(checks), std::move(changes), nullptr};
}

}  // namespace

void release_free_memory() { malloc_trim(0); }

void set_loop_priority(const config::Process& wanted, std::optional<int>& applied) {
    if (wanted.nice == applied) return;
    int nice = wanted.nice.value_or(0);  // a setting removed: back to the default
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) {
        log::error("process: cannot run the event loop at nice {}: {}", nice, std::strerror(errno));
        return;
    }
    log::info("process: the event loop runs at nice {}", nice);
    applied = wanted.nice;
}

std::string summary(const config::Config& cfg) {
    return fmt::format("{} VRRP instance(s), {} sync group(s), {} virtual server(s)",
                       cfg.instances.size(), cfg.sync_groups.size(), cfg.virtual_servers.size());
}

// On a thread of its own even when waited for: glibc gives it its own heap arena, so the
// parser's garbage (megabytes for tens of thousands of real servers) is not left interleaved
// with the daemon's long-lived state and goes back to the system whole once applied.
Parsed load(const Source& source) {
    Parsed result;
    std::thread([&] { result = parse_and_prepare(source, nullptr); }).join();
    return result;
}

Reloader::Reloader(boost::asio::io_context& io, Source source, Running running, Configure configure)
    : io_(io),
      source_(std::move(source)),
      running_(std::move(running)),
      configure_(std::move(configure)) {}

Reloader::~Reloader() {
    if (worker_.joinable()) worker_.join();
}

void Reloader::request(Outcome outcome, bool check_only) {
    if (parsing_) {
        if (!next_) next_.emplace();
        next_->push_back({std::move(outcome), check_only});
        return;
    }
    waiting_.push_back({std::move(outcome), check_only});
    start();
}

void Reloader::start() {
    if (worker_.joinable()) worker_.join();  // the previous clean-up: short
    log::info("reloading {}", source_.file);
    parsing_ = true;
    worker_ = std::thread([this, running = running_()] {
        auto result = parse_and_prepare(source_, running.get());
        boost::asio::post(
            io_, [this, result = std::move(result)]() mutable { finished(std::move(result)); });
    });
}

void Reloader::finished(Parsed result) {
    worker_.join();
    parsing_ = false;
    ReloadResult outcome;
    if (auto* loaded = std::get_if<Loaded>(&result)) {
        bool check_only = std::all_of(waiting_.begin(), waiting_.end(),
                                      [](const Waiting& w) { return w.check_only; });
        outcome.changes = loaded->changes;
        outcome.applied = configure_(*loaded, check_only);
        if (outcome.applied) ++applied_;
        worker_ = std::thread([garbage = std::move(result)]() mutable {
            yield_to_the_loop();
            garbage = {};
            release_free_memory();
        });
    } else {
        outcome.errors = std::move(std::get<Errors>(result));
        ++rejected_;
        for (const auto& e : outcome.errors) log::error("config: {}", e.to_string());
        log::error("reload rejected: {} is invalid, the running configuration stays", source_.file);
    }
    for (auto& w : std::exchange(waiting_, {}))
        if (w.outcome) w.outcome(outcome);
    if (next_) {
        waiting_ = std::move(*next_);
        next_.reset();
        start();
    }
}

}  // namespace directord::daemon
