#pragma once
// Durations counted in fixed buckets, as a Prometheus histogram wants them: bounded memory
// whatever the number of samples.
#include <array>
#include <cstdint>
#include <optional>

namespace directord {

struct SecondsHistogram {
    // Upper bounds of the buckets, in seconds (Prometheus' `le`).
    static constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1,    2.5,   5};
    std::array<std::uint64_t, kBounds.size()> buckets{};  // not cumulative; above 5 s: none
    std::uint64_t count = 0;
    double sum_seconds = 0;
    double max_seconds = 0;

    void record(double seconds) {
        for (std::size_t i = 0; i < kBounds.size(); ++i)
            if (seconds <= kBounds[i]) {
                ++buckets[i];
                break;
            }
        ++count;
        sum_seconds += seconds;
        if (seconds > max_seconds) max_seconds = seconds;
    }
    // The smallest bucket bound that holds `fraction` of the samples (0.99: the 99th percentile
    // is at most this); none without samples or beyond the last bound.
    std::optional<double> bound_holding(double fraction) const {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBounds.size() && count; ++i) {
            cumulative += buckets[i];
            if (static_cast<double>(cumulative) >= fraction * static_cast<double>(count))
                return kBounds[i];
        }
        return std::nullopt;
    }
};

}  // namespace directord
