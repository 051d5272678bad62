#pragma once
// Reading the configuration without holding up the event loop: parsed (and prepared for the
// parts) on a thread, applied on the loop, its garbage freed on a thread again.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "directord/config/changes.hpp"
#include "directord/config/loader.hpp"
#include "directord/healthcheck/check_plan.hpp"
#include "directord/ipvs/desired.hpp"

namespace directord::daemon {

// A valid file, and what the parts can build from it before the loop takes it over, with
// what it changes against the configuration running when it was parsed.
struct Loaded {
    config::Config config;
    ipvs::Pools pools;
    healthcheck::CheckPlan checks;
    config::Changes changes;
    // Once applied: the configuration it replaced, freed with the rest off the loop.
    std::shared_ptr<const config::Config> replaced;
};
using Errors = std::vector<config::Error>;
using Parsed = std::variant<Loaded, Errors>;

// Where the configuration comes from: the file, and in a cluster file the node this director
// is (--node, else the host's name; a file without nodes: ignores it).
struct Source {
    std::string file;
    std::string node;
};

// "2 VRRP instance(s), 1 sync group(s), 3 virtual server(s)".
std::string summary(const config::Config& cfg);

// Parses on a short-lived thread (see loading.cpp) and waits for it: at start-up, --check
// (nothing running: every item is a change).
Parsed load(const Source& source);

// Hands freed memory back to the system, so the daemon's footprint is what it keeps, not
// what it once read.
void release_free_memory();

// Gives the event loop's thread the configured nice value (at start and on every reload that
// changes it), and says so; a refusal (no CAP_SYS_NICE) is logged and the loop runs on.
void set_loop_priority(const config::Process& wanted, std::optional<int>& applied);

// What a reload did: the file's errors (nothing applied), or what it changed (or, for a
// check only, would change).
struct ReloadResult {
    Errors errors;
    config::Changes changes;
    bool applied = false;
};

// SIGHUP and `directorctl reload [--check]`: the file is parsed on a thread while the loop
// goes on (and compared there with the running configuration), then a valid result is handed
// to `configure` on the loop, to apply unless every requester asked only for a check. A request
// during a parse asks for one more (the file may have changed since the parse began); every
// requester is told the outcome of the parse that started after its request.
class Reloader {
  public:
    // Applies (check_only false) or only reports; returns whether it applied.
    using Configure = std::function<bool(Loaded& loaded, bool check_only)>;
    // The configuration running now, read by the parse thread (replaced only between parses).
    using Running = std::function<std::shared_ptr<const config::Config>()>;
    using Outcome = std::function<void(const ReloadResult& result)>;
    Reloader(boost::asio::io_context& io, Source source, Running running, Configure configure);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    void request(Outcome outcome = {}, bool check_only = false);
    unsigned long applied() const { return applied_; }
    unsigned long rejected() const { return rejected_; }

  private:
    void start();
    void finished(Parsed result);

    struct Waiting {
        Outcome outcome;
        bool check_only;
    };
    boost::asio::io_context& io_;
    Source source_;
    Running running_;
    Configure configure_;
    std::thread worker_;
    bool parsing_ = false;
    std::vector<Waiting> waiting_;              // for the parse under way
    std::optional<std::vector<Waiting>> next_;  // a request came during it
    unsigned long applied_ = 0, rejected_ = 0;
};

}  // namespace directord::daemon
