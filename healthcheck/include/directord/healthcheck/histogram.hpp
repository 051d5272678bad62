#pragma once
// A fixed-size latency histogram: four buckets per power of two (values within 25 % of each
// other share a bucket), constant memory, O(1) to record. Percentiles come back as the upper
// bound of their bucket, so they never understate.
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>

namespace directord::healthcheck {

class Histogram {
  public:
    void record(std::chrono::microseconds value) {
        ++buckets_[bucket_of(value.count() < 0 ? 0 : static_cast<std::uint64_t>(value.count()))];
        ++count_;
    }
    std::uint64_t count() const { return count_; }
    // The smallest bucket bound at or below which a fraction `q` (0..1) of the values lie.
    std::chrono::microseconds percentile(double q) const {
        if (count_ == 0) return std::chrono::microseconds(0);
        auto wanted = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets_.size(); ++i) {
            seen += buckets_[i];
            if (seen >= wanted) return std::chrono::microseconds(upper_bound(i));
        }
        return std::chrono::microseconds(upper_bound(buckets_.size() - 1));
    }

    static std::size_t bucket_of(std::uint64_t v) {
        if (v < 4) return v;
        unsigned exponent = std::bit_width(v) - 1;  // v in [2^e, 2^(e+1))
        return 4 * (exponent - 1) + ((v >> (exponent - 2)) & 3);
    }
    // The largest value that falls in bucket `i`.
    static std::uint64_t upper_bound(std::size_t i) {
        if (i < 4) return i;
        unsigned exponent = static_cast<unsigned>(i / 4) + 1;
        std::uint64_t quarter = 1ull << (exponent - 2);
        return (1ull << exponent) + (i % 4 + 1) * quarter - 1;
    }

  private:
    std::array<std::uint64_t, 4 * 63> buckets_{};
    std::uint64_t count_ = 0;
};

}  // namespace directord::healthcheck
