#include "directord/healthcheck/hook_queue.hpp"

#include <boost/asio/post.hpp>

#include "directord/log.hpp"

namespace directord::healthcheck {

HookQueue::HookQueue(boost::asio::io_context& io, std::string owner)
    : io_(io), owner_(std::move(owner)), slot_(io) {}

void HookQueue::push(config::RunAs as, std::vector<std::string> argv,
                     std::vector<std::string> env) {
    queue_.push_back({as, std::move(argv), std::move(env)});
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.lock()) run_next();
    });
}

void HookQueue::run_next() {
    if (queue_.empty() || slot_.busy()) return;
    auto next = std::move(queue_.front());
    queue_.pop_front();
    auto program = next.argv.front();
    slot_.start(next.as, next.argv, next.env, kTimeout,
                [this, program](const ProcessResult& result) {
                    if (!result.success())
                        log::warning("{}: notify {} failed: {}", owner_, program, result.reason());
                    run_next();
                });
}

}  // namespace directord::healthcheck
