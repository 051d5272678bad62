#include "directord/healthcheck/hysteresis.hpp"

#include <gtest/gtest.h>

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
