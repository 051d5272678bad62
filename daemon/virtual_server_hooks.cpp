#include "virtual_server_hooks.hpp"

#include <fmt/format.h>

#include <utility>

namespace directord::daemon {

void VirtualServerHooks::apply(const config::Config& cfg) {
    auto before = std::exchange(hooks_, {});
    for (const auto& vs : cfg.virtual_servers) {
        if (vs.notify.empty()) continue;
        auto old = before.find(vs.name);
        auto queue = old != before.end() ? std::move(old->second.queue)
                                         : std::make_unique<healthcheck::HookQueue>(io_, vs.name);
        hooks_.emplace(vs.name, Hook{vs.notify, vs.notify_as, std::move(queue)});
    }
}

void VirtualServerHooks::run(const std::string& virtual_server, std::vector<std::string> env) {
    auto hook = hooks_.find(virtual_server);
    if (hook == hooks_.end()) return;
    env.push_back("DIRECTORD_VIRTUAL_SERVER=" + virtual_server);
    hook->second.queue->push(hook->second.as, hook->second.argv, std::move(env));
}

void VirtualServerHooks::real_server(const std::string& virtual_server,
                                     const std::string& real_server, bool up,
                                     const std::string& reason) {
    run(virtual_server,
        {std::string("DIRECTORD_EVENT=") + (up ? "real_server_up" : "real_server_down"),
         "DIRECTORD_REAL_SERVER=" + real_server, "DIRECTORD_REASON=" + reason});
}

void VirtualServerHooks::quorum(const ipvs::QuorumChange& change) {
    run(change.pool,
        {std::string("DIRECTORD_EVENT=") + (change.held ? "quorum_reached" : "quorum_lost"),
         fmt::format("DIRECTORD_LIVE_WEIGHT={}", change.live_weight),
         fmt::format("DIRECTORD_QUORUM={}", change.quorum)});
}

}  // namespace directord::daemon
