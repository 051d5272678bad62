#include "directord/vrrp/standing.hpp"

#include <gtest/gtest.h>

using namespace directord::vrrp;

TEST(Standing, WeightsAddUpAndAreExplained) {
    StandingInputs in;
    in.base_priority = 101;
    in.signals = {{"script proxy", -20, true},
                  {"file /run/boost", 5, false},
                  {"interface uplink", -10, false}};
    auto s = assess_standing(in);
    EXPECT_EQ(s.priority, 86);
    EXPECT_EQ(s.own_weight, -15);
    EXPECT_EQ(s.weights, "script proxy -20, file /run/boost +5");
    EXPECT_EQ(s.fault, "");
    EXPECT_EQ(describe_standing(in),
              (std::vector<std::string>{"script proxy failing (-20)", "file /run/boost ok (+5)"}));
}

TEST(Standing, FaultsComeFromTheHostTrackingAndOutside) {
    StandingInputs in;
    in.host_fault = "interface eth1 missing";
    in.signals = {{"file /etc/down", 0, true}, {"check mysqld", 0, true}};
    in.external_faults = {{"maintenance", "maintenance file /run/m present"}};
    auto s = assess_standing(in);
    EXPECT_EQ(s.own_fault, "interface eth1 missing, file /etc/down present, check mysqld down");
    EXPECT_EQ(s.fault, s.own_fault + ", maintenance file /run/m present");
    EXPECT_EQ(describe_standing(in).front(), "interface eth1 missing: FAULT");
}

TEST(Standing, PriorityStaysInRangeAndTheOwnerKeepsIts) {
    StandingInputs in;
    in.base_priority = 10;
    in.signals = {{"script a", -50, true}};
    in.group_weight = -10;
    EXPECT_EQ(assess_standing(in).priority, 1);
    EXPECT_EQ(assess_standing(in).own_weight, -50) << "the group's weight is not our own";
    in.base_priority = 250;
    in.signals = {{"script a", 50, false}};
    in.group_weight = 0;
    EXPECT_EQ(assess_standing(in).priority, 254);
    in.base_priority = 255;
    EXPECT_EQ(assess_standing(in).priority, 255);
}
