#pragma once
// The routing engine's BGP sessions as status shows them, read from the engine's own output
// (pure parsers, and a watch that runs the engine's command every few seconds off the loop):
// FRR's `vtysh -c 'show bgp summary json'`, BIRD's `birdc show protocols`.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::healthcheck {
class ProcessSlot;
}

namespace directord::bgp {

struct EngineSession {
    std::string peer;   // FRR: the neighbor's address; BIRD: the protocol's name
    std::string state;  // "Established", "Active", "up", "start", ...
    bool established = false;
};

// Sessions, or why the output could not be read.
struct EngineReading {
    std::vector<EngineSession> sessions;
    std::optional<std::string> error;
};
EngineReading parse_frr_summary(const std::string& json);
EngineReading parse_bird_protocols(const std::string& text);

// The command that reads the engine: bgp.status_command, or the engine's default (none for
// an external engine).
std::vector<std::string> engine_command(const config::Bgp& bgp);

class EngineWatch {
  public:
    explicit EngineWatch(boost::asio::io_context& io);
    ~EngineWatch();
    EngineWatch(const EngineWatch&) = delete;
    EngineWatch& operator=(const EngineWatch&) = delete;

    void apply(const config::Config& cfg);
    // The last reading; none before the first one or without a command.
    const std::optional<EngineReading>& last() const { return last_; }

  private:
    void read();

    boost::asio::io_context& io_;
    std::unique_ptr<healthcheck::ProcessSlot> slot_;
    boost::asio::steady_timer timer_;
    std::vector<std::string> command_;
    config::RoutingEngine engine_ = config::RoutingEngine::frr;
    config::RunAs run_as_;
    std::optional<EngineReading> last_;
};

}  // namespace directord::bgp
