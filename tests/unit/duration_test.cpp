#include "directord/duration.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using directord::format_duration;
using directord::parse_duration;

TEST(Duration, ParsesUnitsAndBareSeconds) {
    EXPECT_EQ(parse_duration("1s"), std::chrono::microseconds(1s));
    EXPECT_EQ(parse_duration("100ms"), std::chrono::microseconds(100ms));
    EXPECT_EQ(parse_duration("0.1s"), std::chrono::microseconds(100ms));
    EXPECT_EQ(parse_duration("2m"), std::chrono::microseconds(120s));
    EXPECT_EQ(parse_duration("250us"), std::chrono::microseconds(250));
    EXPECT_EQ(parse_duration("3"), std::chrono::microseconds(3s));
}

TEST(Duration, RejectsGarbage) {
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("s"));
    EXPECT_FALSE(parse_duration("1h"));
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_FALSE(parse_duration("1 s"));
    EXPECT_FALSE(parse_duration("nan"));
}

TEST(Duration, FormatsReadably) {
    EXPECT_EQ(format_duration(1s), "1s");
    EXPECT_EQ(format_duration(100ms), "100ms");
    EXPECT_EQ(format_duration(1500ms), "1.5s");
    EXPECT_EQ(format_duration(std::chrono::microseconds(20)), "20us");
    EXPECT_EQ(format_duration(std::chrono::microseconds(867)), "867us");
    EXPECT_EQ(format_duration(std::chrono::microseconds(7594)), "7.594ms");
    EXPECT_EQ(format_duration(std::chrono::microseconds(2345678)), "2.345678s");
    EXPECT_EQ(format_duration(120s), "120s");
}
