#pragma once
// Reading the configuration without holding up the event loop: parsed (and prepared for the
// parts) on a thread, applied on the loop, its garbage freed on a thread again.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "directord/config/loader.hpp"
#include "directord/ipvs/desired.hpp"

namespace directord::daemon {

// A valid file, and what the parts can build from it before the loop takes it over.
struct Loaded {
    config::Config config;
    ipvs::Pools pools;
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

// Parses on a short-lived thread (see loading.cpp) and waits for it: at start-up, --check.
Parsed load(const Source& source);

// Hands freed memory back to the system, so the daemon's footprint is what it keeps, not
// what it once read.
void release_free_memory();

// Gives the event loop's thread the configured nice value (at start and on every reload that
// changes it), and says so; a refusal (no CAP_SYS_NICE) is logged and the loop runs on.
void set_loop_priority(const config::Process& wanted, std::optional<int>& applied);

// SIGHUP and `directorctl reload`: the file is parsed on a thread while the loop goes on,
// then a valid result is applied on the loop. A request during a parse asks for one more
// (the file may have changed since the parse began); every requester is told the outcome of
// the parse that started after its request.
class Reloader {
  public:
    using Apply = std::function<void(Loaded&)>;
    using Outcome = std::function<void(const Errors& errors)>;  // empty: applied
    Reloader(boost::asio::io_context& io, Source source, Apply apply);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    void request(Outcome outcome = {});
    unsigned long applied() const { return applied_; }
    unsigned long rejected() const { return rejected_; }

  private:
    void start();
    void finished(Parsed result);

    boost::asio::io_context& io_;
    Source source_;
    Apply apply_;
    std::thread worker_;
    bool parsing_ = false;
    std::vector<Outcome> waiting_;              // for the parse under way
    std::optional<std::vector<Outcome>> next_;  // a request came during it
    unsigned long applied_ = 0, rejected_ = 0;
};

}  // namespace directord::daemon
