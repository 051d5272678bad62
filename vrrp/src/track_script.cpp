#include "directord/vrrp/track_script.hpp"

#include "directord/log.hpp"

namespace directord::vrrp {

TrackScript::TrackScript(boost::asio::io_context& io, std::string owner, config::TrackScript cfg,
                         Handler on_change)
    : owner_(std::move(owner)),
      cfg_(std::move(cfg)),
      on_change_(std::move(on_change)),
      timer_(io),
      slot_(io),
      state_(cfg_.rise, cfg_.fall, true) {}

void TrackScript::start() {
    next_run_ = std::chrono::steady_clock::now();
    run();
}

void TrackScript::run() {
    bool started = slot_.start(
        cfg_.run_as, cfg_.argv, {}, cfg_.timeout, [this](const healthcheck::ProcessResult& result) {
            bool ok = result.success();
            if (!ok)
                log::debug("{}: track script {} failed: {}", owner_, cfg_.name, result.reason());
            if (state_.record(ok)) {
                auto why = ok ? std::string("succeeded") : result.describe();
                log::info("{}: track script {} is now {} ({})", owner_, cfg_.name,
                          ok ? "UP" : "DOWN", why);
                on_change_(ok, why);
            }
        });
    if (!started)
        log::warning("{}: track script {} still running, skipping this interval", owner_,
                     cfg_.name);
    schedule();
}

void TrackScript::schedule() {
    // Absolute deadlines: the interval does not stretch by the script's run time.
    next_run_ += cfg_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next_run_ < now) next_run_ = now + cfg_.interval;
    timer_.expires_at(next_run_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) run();
    });
}

}  // namespace directord::vrrp
