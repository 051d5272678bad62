#pragma once
// Every probe result of the loop, summed by check kind for the metrics: a latency histogram
// with fixed bounds and failures counted by reason. Bounded whatever the number of checks.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "directord/healthcheck/probe.hpp"

namespace directord::healthcheck {

class CheckStats {
  public:
    // Upper bounds of the latency buckets, in seconds (Prometheus' `le`).
    static constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1,    2.5,   5};
    // Distinct failure reasons kept per kind; the rest are counted as "other".
    static constexpr std::size_t kReasons = 32;

    struct Latency {
        std::array<std::uint64_t, kBounds.size()> buckets{};  // not cumulative
        std::uint64_t count = 0;
        double sum_seconds = 0;
    };

    void record(std::string_view kind, const ProbeResult& result) {
        auto& latency = latency_[std::string(kind)];
        double seconds = std::chrono::duration<double>(result.latency).count();
        for (std::size_t i = 0; i < kBounds.size(); ++i)
            if (seconds <= kBounds[i]) {
                ++latency.buckets[i];
                break;
            }
        ++latency.count;
        latency.sum_seconds += seconds;
        if (result.ok) return;
        auto& reasons = failures_[std::string(kind)];
        auto it = reasons.find(result.reason);
        if (it == reasons.end())
            it = reasons.emplace(reasons.size() < kReasons ? result.reason : "other", 0).first;
        ++it->second;
    }
    const std::map<std::string, Latency>& latency() const { return latency_; }
    const std::map<std::string, std::map<std::string, std::uint64_t>>& failures() const {
        return failures_;
    }

  private:
    std::map<std::string, Latency> latency_;
    std::map<std::string, std::map<std::string, std::uint64_t>> failures_;
};

}  // namespace directord::healthcheck
