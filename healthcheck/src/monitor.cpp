#include "directord/healthcheck/monitor.hpp"

namespace directord::healthcheck {

Monitor::Monitor(boost::asio::io_context& io, std::string target_name, config::Check check,
                 boost::asio::ip::tcp::endpoint target, ChangeHandler on_change)
    : target_name_(std::move(target_name)),
      check_(std::move(check)),
      probe_(make_probe(io, check_, target)),
      timer_(io),
      state_(check_.rise, check_.fall, check_.initially_up),
      on_change_(std::move(on_change)) {}

std::string_view Monitor::kind() const {
    switch (check_.kind.index()) {
        case 0:
            return "tcp";
        case 1:
            return std::get<config::HttpCheck>(check_.kind).tls ? "https" : "http";
        case 2:
            return "script";
        case 3:
            return "mysql";
        default:
            return "galera";
    }
}

void Monitor::start(std::mt19937* random) {
    next_run_ = std::chrono::steady_clock::now();
    if (random) {
        // Spread the first runs over one interval so thousands of checks do not fire together.
        std::uniform_int_distribution<long long> spread(0, check_.interval.count() - 1);
        next_run_ += std::chrono::microseconds(spread(*random));
    }
    timer_.expires_at(next_run_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) attempt(0);
    });
}

void Monitor::attempt(unsigned number) {
    probe_->run(check_.timeout, [this, number](const ProbeResult& result) {
        if (!result.ok && number < check_.retries) {
            timer_.expires_after(check_.retry_delay);
            timer_.async_wait([this, number](const boost::system::error_code& ec) {
                if (!ec) attempt(number + 1);
            });
            return;
        }
        record(result);
        schedule_next();
    });
}

void Monitor::record(const ProbeResult& result) {
    last_ = result;
    bool changed;
    if (!decided_) {
        decided_ = true;
        changed = result.ok != state_.up();
        state_ = Hysteresis(check_.rise, check_.fall, result.ok);
    } else {
        changed = state_.record(result.ok);
    }
    if (changed) on_change_(*this);
}

void Monitor::schedule_next() {
    next_run_ += check_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next_run_ < now) next_run_ = now;  // a slow cycle: run again at once, never in a burst
    timer_.expires_at(next_run_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) attempt(0);
    });
}

}  // namespace directord::healthcheck
