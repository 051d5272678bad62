#include "directord/healthcheck/hysteresis.hpp"

#include <gtest/gtest.h>

#include "directord/healthcheck/histogram.hpp"

using directord::healthcheck::Hysteresis;

TEST(Hysteresis, FallNeedsConsecutiveFailures) {
    Hysteresis h(/*rise=*/1, /*fall=*/2, /*initially_up=*/true);
    EXPECT_FALSE(h.record(false));
    EXPECT_TRUE(h.up());
    EXPECT_FALSE(h.record(true));  // streak broken
    EXPECT_FALSE(h.record(false));
    EXPECT_TRUE(h.record(false));
    EXPECT_FALSE(h.up());
}

TEST(Hysteresis, RiseNeedsConsecutiveSuccesses) {
    Hysteresis h(/*rise=*/3, /*fall=*/1, /*initially_up=*/false);
    EXPECT_FALSE(h.record(true));
    EXPECT_FALSE(h.record(true));
    EXPECT_TRUE(h.record(true));
    EXPECT_TRUE(h.up());
    EXPECT_TRUE(h.record(false));
    EXPECT_FALSE(h.up());
}

TEST(Histogram, BucketsAreWithinAQuarterAndPercentilesNeverUnderstate) {
    using directord::healthcheck::Histogram;
    for (std::uint64_t v :
         {0ull, 1ull, 3ull, 4ull, 5ull, 7ull, 8ull, 100ull, 1000ull, 123456789ull}) {
        auto i = Histogram::bucket_of(v);
        EXPECT_GE(Histogram::upper_bound(i), v) << v;
        if (i > 0) {
            EXPECT_LT(Histogram::upper_bound(i - 1), v) << v;
        }
        EXPECT_LE(Histogram::upper_bound(i), v + v / 4 + 1) << v;
    }
    Histogram h;
    EXPECT_EQ(h.percentile(0.99).count(), 0);
    for (int i = 1; i <= 100; ++i) h.record(std::chrono::microseconds(i * 10));
    EXPECT_EQ(h.count(), 100u);
    EXPECT_GE(h.percentile(0.5).count(), 500);
    EXPECT_LE(h.percentile(0.5).count(), 625);
    EXPECT_GE(h.percentile(0.99).count(), 990);
    EXPECT_GE(h.percentile(1.0).count(), 1000);
    EXPECT_LE(h.percentile(1.0).count(), 1250);
}
