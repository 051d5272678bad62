#include "directord/healthcheck/monitor.hpp"

#include <algorithm>

#include "directord/healthcheck/checker.hpp"
#include "directord/log.hpp"
#include "directord/text.hpp"

namespace directord::healthcheck {

Monitor::Monitor(Owner& owner, std::shared_ptr<const config::Check> check,
                 boost::asio::ip::tcp::endpoint target)
    : owner_(owner),
      check_(std::move(check)),
      target_(target),
      probe_(make_probe(owner.scheduler().io(), *check_, target_)),
      state_(check_->rise, check_->fall, check_->initially_up) {}

Monitor::~Monitor() { owner_.scheduler().cancel(*this); }

std::string Monitor::target_name() const {
    return endpoint_name(target_.address(), target_.port());
}

std::string_view Monitor::kind() const {
    if (auto* http = std::get_if<config::HttpCheck>(&check_->kind); http && http->tls)
        return "https";
    return std::visit([](const auto& kind) { return kind.kind_name; }, check_->kind);
}

void Monitor::start(Clock::time_point first_run) {
    next_run_ = first_run;
    owner_.scheduler().schedule(*this, first_run);
}

void Monitor::due() {
    probe_->run(check_->timeout, [this](const ProbeResult& result) { finished(result); });
}

void Monitor::finished(const ProbeResult& raw) {
    // Reasons quote servers and programs; they reach logs, status JSON and metric labels.
    ProbeResult cleaned;
    bool clean = text::is_printable(raw.reason);
    if (!clean) cleaned = {raw.ok, text::printable(raw.reason), raw.latency, raw.internal};
    const ProbeResult& result = clean ? raw : cleaned;
    owner_.scheduler().stats().record(kind(), result);
    if (result.internal) {
        // Says nothing of the server: the state stays, the next regular run tries again.
        static log::RateLimiter limit(std::chrono::seconds(10));
        unsigned long suppressed = 0;
        if (limit.allow(std::chrono::steady_clock::now(), suppressed))
            log::error(
                "{} check of {} not run: {} (not counted as a failure; {} such lines "
                "suppressed before)",
                kind(), target_name(), result.reason, suppressed);
    } else if (!result.ok && attempt_ < check_->retries) {
        ++attempt_;
        owner_.scheduler().schedule(*this, Clock::now() + check_->retry_delay);
        return;
    } else {
        record(result);
    }
    attempt_ = 0;
    // Absolute deadlines: no drift; after a slow cycle run again at once, never in a burst.
    next_run_ += check_->interval;
    next_run_ = std::max(next_run_, Clock::now());
    owner_.scheduler().schedule(*this, next_run_);
}

void Monitor::record(const ProbeResult& result) {
    last_ok_ = result.ok;
    last_reason_ = result.reason;
    last_latency_us_ = static_cast<std::uint32_t>(
        std::min<std::chrono::microseconds::rep>(result.latency.count(), UINT32_MAX));
    bool changed;
    if (!decided_) {
        // The first result is always told, even when it confirms the initial state: until
        // then the state was an assumption (IPVS keeps an adopted entry as it is till now).
        decided_ = true;
        changed = true;
        state_ = Hysteresis(check_->rise, check_->fall, result.ok);
    } else {
        changed = state_.record(result.ok);
    }
    if (changed) owner_.on_change(*this);
}

}  // namespace directord::healthcheck
