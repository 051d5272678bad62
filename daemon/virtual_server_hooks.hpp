#pragma once
// Virtual servers' notify programs (keepalived's notify_up / notify_down of real servers and
// quorum_up / quorum_down): one program per virtual server, run for each of its events with the
// event in its environment, one at a time and in order. A reload keeps the queue of a virtual
// server that stays, so its pending events still run.
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/healthcheck/hook_queue.hpp"
#include "directord/ipvs/desired.hpp"

namespace directord::daemon {

class VirtualServerHooks {
  public:
    explicit VirtualServerHooks(boost::asio::io_context& io) : io_(io) {}
    void apply(const config::Config& cfg);
    // DIRECTORD_EVENT=real_server_up|real_server_down, DIRECTORD_REAL_SERVER, DIRECTORD_REASON.
    void real_server(const std::string& virtual_server, const std::string& real_server, bool up,
                     const std::string& reason);
    // DIRECTORD_EVENT=quorum_reached|quorum_lost, DIRECTORD_LIVE_WEIGHT, DIRECTORD_QUORUM.
    void quorum(const ipvs::QuorumChange& change);

  private:
    struct Hook {
        std::vector<std::string> argv;
        config::RunAs as;
        std::unique_ptr<healthcheck::HookQueue> queue;
    };
    void run(const std::string& virtual_server, std::vector<std::string> env);

    boost::asio::io_context& io_;
    std::map<std::string, Hook> hooks_;  // by virtual server name
};

}  // namespace directord::daemon
