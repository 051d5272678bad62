// The fixed-bucket histograms of the metrics (check probes, the loop's lag).
#include "directord/histogram.hpp"

#include <gtest/gtest.h>

using directord::SecondsHistogram;

TEST(SecondsHistogram, CountsEachSampleInItsBucketOnceAndKeepsTheLargest) {
    SecondsHistogram h;
    h.record(0.0004);  // <= 1 ms
    h.record(0.001);   // a bound belongs to its bucket (le)
    h.record(0.03);    // <= 50 ms
    h.record(7);       // beyond the last bound: counted, in no bucket
    EXPECT_EQ(h.buckets[0], 2u);
    EXPECT_EQ(h.buckets[5], 1u);
    std::uint64_t in_buckets = 0;
    for (auto b : h.buckets) in_buckets += b;
    EXPECT_EQ(in_buckets, 3u);
    EXPECT_EQ(h.count, 4u);
    EXPECT_DOUBLE_EQ(h.sum_seconds, 7.0314);
    EXPECT_DOUBLE_EQ(h.max_seconds, 7);
    EXPECT_EQ(h.bound_holding(0.5), 0.001);  // 2 of 4 within 1 ms
    EXPECT_EQ(h.bound_holding(0.75), 0.05);
    EXPECT_EQ(h.bound_holding(0.99), std::nullopt);  // the 4th is beyond 5 s
    EXPECT_EQ(SecondsHistogram{}.bound_holding(0.99), std::nullopt);
}
