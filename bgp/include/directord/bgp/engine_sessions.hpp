#pragma once
// The routing engine's BGP and BFD sessions as status shows them, read from the engine's own
// output (pure parsers, and a watch that runs the engine's commands every few seconds off the
// loop): FRR's `vtysh -c 'show bgp summary json' -c 'show bfd peers json'`, BIRD's
// `birdc show protocols` then `birdc show bfd sessions`.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::healthcheck {
class ProcessSlot;
}  // namespace directord::healthcheck

namespace directord::bgp {

struct EngineSession {
    std::string peer;   // FRR: the neighbor's address; BIRD: the protocol's name
    std::string state;  // "Established", "Active", "up", "start", ...
    bool established = false;
};

struct BfdSession {
    std::string peer;   // the neighbor's address
    std::string state;  // FRR: "up", "down", "init"; BIRD: "Up", "Down", "Init", "AdminDown"
    bool up = false;
};

// Sessions, or why the output could not be read.
struct EngineReading {
    std::vector<EngineSession> sessions;
    std::vector<BfdSession> bfd;  // none in the output: none listed
    std::optional<std::string> error;
};
// The BGP summary's document, then (if there) the BFD peers' list.
EngineReading parse_frr_summary(const std::string& json);
// The protocol list, then (if there) the BFD session table.
EngineReading parse_bird_protocols(const std::string& text);

// The commands that read the engine, run one after the other, their outputs read as one: the
// BGP sessions' (bgp.status_command) then the BFD sessions' (bgp.bfd_command), each the
// engine's own unless configured (an external engine has none).
struct EngineCommand {
    std::vector<std::string> argv;
    config::RunAs as;
    bool operator==(const EngineCommand&) const = default;
};
std::vector<EngineCommand> engine_commands(const config::Bgp& bgp);

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
    void run(std::size_t command, std::string output);
    void keep(EngineReading reading);

    boost::asio::io_context& io_;
    std::unique_ptr<healthcheck::ProcessSlot> slot_;
    boost::asio::steady_timer timer_;
    std::vector<EngineCommand> commands_;
    config::RoutingEngine engine_ = config::RoutingEngine::frr;
    std::optional<EngineReading> last_;
    unsigned long generation_ = 0;  // of commands_: a reload's new commands end a round
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted steps
};

}  // namespace directord::bgp
