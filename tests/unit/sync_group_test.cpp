#include "directord/vrrp/sync_group.hpp"

#include <gtest/gtest.h>

using namespace directord::vrrp;

TEST(SyncGroup, OneWeightForAll) {
    auto orders = settle_group(
        "g", {{"outside", false, false, false, 0}, {"inside", false, false, false, -60}});
    EXPECT_EQ(orders[0].group_weight, -60);
    EXPECT_EQ(orders[1].group_weight, 0);
    EXPECT_FALSE(orders[0].fault);
    EXPECT_FALSE(orders[0].hold);
}

TEST(SyncGroup, OneFaultyMemberFaultsTheOthers) {
    auto orders = settle_group(
        "dlvs", {{"outside", false, false, true, 0}, {"inside", true, false, false, 0}});
    EXPECT_EQ(orders[0].fault, "sync group dlvs: inside is in FAULT");
    EXPECT_FALSE(orders[1].fault) << "its own fault is not the group's";
}

TEST(SyncGroup, AFollowerHoldsTheOthersBackAndAMasterPullsThemAlong) {
    std::vector<GroupMember> members = {{"outside", false, true, false, 0},
                                        {"inside", false, false, false, 0}};
    auto orders = settle_group("dlvs", members);
    EXPECT_EQ(orders[1].hold, "sync group dlvs: outside follows another master");
    EXPECT_FALSE(orders[0].hold);
    EXPECT_FALSE(group_master(members));
    members[0] = {"outside", false, false, true, 0};
    EXPECT_EQ(group_master(members), 0u);
}
