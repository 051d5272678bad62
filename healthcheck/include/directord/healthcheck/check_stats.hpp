#pragma once
// Every probe result of the loop, summed by check kind for the metrics: a latency histogram
// with fixed bounds and failures counted by reason. Bounded whatever the number of checks.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "directord/healthcheck/probe.hpp"
#include "directord/histogram.hpp"

namespace directord::healthcheck {

class CheckStats {
  public:
    using Latency = SecondsHistogram;
    // Distinct failure reasons kept per kind; the rest are counted as "other".
    static constexpr std::size_t kReasons = 32;

    void record(std::string_view kind, const ProbeResult& result) {
        latency_[std::string(kind)].record(std::chrono::duration<double>(result.latency).count());
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
