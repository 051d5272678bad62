#include "directord/log.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

// A flood of one drop reason must not hide the first line of another.
TEST(RateLimiters, EachKindHasItsOwnPeriod) {
    directord::log::RateLimiters limit(3, 10s);
    std::chrono::steady_clock::time_point now{};
    unsigned long suppressed = 0;
    EXPECT_TRUE(limit.allow(0, now, suppressed));
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(limit.allow(0, now + 1s, suppressed));
    EXPECT_TRUE(limit.allow(2, now + 1s, suppressed));  // a new reason is told at once
    EXPECT_EQ(suppressed, 0u);
    EXPECT_TRUE(limit.allow(0, now + 11s, suppressed));
    EXPECT_EQ(suppressed, 100u);
}
