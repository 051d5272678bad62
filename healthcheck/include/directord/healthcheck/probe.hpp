#pragma once
// One health-check attempt against one target. Each kind of check is a small class; a
// probe never blocks the loop and always reports, at the latest when its timeout expires.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "directord/config/model.hpp"

namespace boost::asio {
class io_context;
}

namespace directord::healthcheck {

struct ProbeResult {
    bool ok = false;
    std::string reason;  // "connected", "connection refused", "exit 1", "timed out after 1s"
    std::chrono::microseconds latency{0};
    // The probe could not be made here (no descriptor, no memory): says nothing of the server,
    // so it never counts towards DOWN.
    bool internal = false;
};

using ProbeHandler = std::function<void(const ProbeResult&)>;

// A probe's system call failed with `error`: out of descriptors, buffers or memory is our
// trouble (internal, "internal error: ..."); anything else is the server's, told as strerror.
ProbeResult failed_call(int error);

class Probe {
  public:
    virtual ~Probe() = default;
    // Starts one attempt; `done` is called exactly once unless the probe is destroyed first.
    virtual void run(std::chrono::microseconds timeout, ProbeHandler done) = 0;
};

// The probe for `check`'s kind against `target`.
std::unique_ptr<Probe> make_probe(boost::asio::io_context& io, const config::Check& check,
                                  const boost::asio::ip::tcp::endpoint& target);

}  // namespace directord::healthcheck
