#include "directord/bgp/announce_rule.hpp"

#include <fmt/format.h>

namespace directord::bgp {

bool ServiceHealth::update(const ServiceCount& count) {
    if (!watermarks_) {
        healthy_ = count.live > 0;
        return *healthy_;
    }
    double fraction = count.members ? double(count.live) / double(count.members) : 0.0;
    healthy_ =
        healthy_.value_or(false) ? fraction >= watermarks_->low : fraction >= watermarks_->high;
    return *healthy_;
}

VipHealth::VipHealth(const std::vector<std::optional<config::Watermarks>>& watermarks,
                     bool require_all)
    : require_all_(require_all) {
    for (const auto& w : watermarks) services_.emplace_back(w);
}

std::optional<std::string> VipHealth::judge(const std::vector<ServiceCount>& counts) {
    std::string sick;
    std::size_t healthy = 0;
    for (std::size_t i = 0; i < counts.size() && i < services_.size(); ++i) {
        if (services_[i].update(counts[i])) {
            ++healthy;
            continue;
        }
        if (!sick.empty()) sick += ", ";
        sick += fmt::format("{}: {}/{} real servers live", counts[i].name, counts[i].live,
                            counts[i].members);
    }
    bool enough = require_all_ ? healthy == counts.size() : healthy > 0;
    if (enough) return std::nullopt;
    return sick;
}

Decision VipRule::decide(const Inputs& in, Clock::time_point now) {
    Decision d;
    const bool was = announced_;
    if (in.maintenance) {
        announced_ = false;
        d.reason = *in.maintenance;
    } else if (in.unchecked) {
        // Warm-up: what was found stays (a restart keeps serving) until every check has spoken.
        d.reason = fmt::format("warming up: {} real server(s) not checked yet", in.unchecked);
    } else if (in.unhealthy) {
        announced_ = false;
        d.reason = *in.unhealthy;
    } else if (!announced_ && withdrawn_at_ && now < *withdrawn_at_ + hold_down_) {
        d.retry_at = *withdrawn_at_ + hold_down_;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*d.retry_at - now);
        d.reason =
            fmt::format("healthy, held down for {:.1f} s more", double(left.count()) / 1000.0);
    } else {
        announced_ = true;
        d.reason = "healthy";
    }
    if (was && !announced_) withdrawn_at_ = now;
    d.announce = announced_;
    d.changed = was != announced_;
    return d;
}

}  // namespace directord::bgp
