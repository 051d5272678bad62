#pragma once
// Hook programs (argv, no shell) run once per event, one at a time and in the events' order, so
// a slow hook cannot reorder what its consumer sees. Each starts from a later turn of the loop
// than its event: the work of the event's own turn (adverts, ARPs) goes first.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "directord/healthcheck/process.hpp"

namespace directord::healthcheck {

class HookQueue {
  public:
    static constexpr auto kTimeout = std::chrono::seconds(30);

    // `owner` names the hook's failures in the log ("web: notify /usr/bin/x failed: exit 1").
    HookQueue(boost::asio::io_context& io, std::string owner);
    // Queues `argv`, to run as `as` with `env` ("NAME=value") added to the environment.
    void push(config::RunAs as, std::vector<std::string> argv, std::vector<std::string> env);
    // A hook is queued or running (a stop waits for the last one).
    bool busy() const { return !queue_.empty() || slot_.busy(); }

  private:
    struct Pending {
        config::RunAs as;
        std::vector<std::string> argv, env;
    };
    void run_next();

    boost::asio::io_context& io_;
    std::string owner_;
    ProcessSlot slot_;
    std::deque<Pending> queue_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted work
};

}  // namespace directord::healthcheck
