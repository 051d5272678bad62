#include <fmt/format.h>

#include "directord/healthcheck/probes.hpp"

namespace directord::healthcheck {

ScriptProbe::ScriptProbe(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target,
                         std::vector<std::string> argv, config::RunAs run_as)
    : argv_(std::move(argv)),
      run_as_(run_as),
      env_{"DIRECTORD_RS_ADDRESS=" + target.address().to_string(),
           fmt::format("DIRECTORD_RS_PORT={}", target.port())},
      slot_(io) {}

void ScriptProbe::run(std::chrono::microseconds timeout, ProbeHandler done) {
    // The monitor never starts a probe before the previous one reported, so the slot is free.
    slot_.start(run_as_, argv_, env_, timeout, [done = std::move(done)](const ProcessResult& r) {
        done(ProbeResult{r.success(), r.reason(), r.elapsed});
    });
}

}  // namespace directord::healthcheck
