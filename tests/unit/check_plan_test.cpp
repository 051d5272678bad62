// The checker's plan, made off the loop: one entry per distinct check and target, the real
// servers using each, and each real server's entry.
#include "directord/healthcheck/check_plan.hpp"

#include <gtest/gtest.h>

#include "valid_config.hpp"

using namespace directord;
using healthcheck::CheckPlan;

namespace {
const char* kShared = R"(
virtual_servers:
  - name: web
    address: 10.0.0.1:80
    check: { tcp: {}, interval: 1s }
    real_servers:
      - { address: 10.0.1.1:80 }
      - { address: 10.0.1.2:80 }
      - { address: 10.0.1.3:80, check: { http: { path: /health } } }
  - name: web-alt
    address: 10.0.0.1:8080
    check: { tcp: {}, interval: 1s }
    real_servers:
      - { address: 10.0.1.2:80 }
      - { address: 10.0.1.5:80 }
  - name: plain
    address: 10.0.0.1:25
    real_servers:
      - { address: 10.0.1.4:25 }
)";
}  // namespace

TEST(CheckPlan, OneEntryPerCheckAndTargetWithItsUsers) {
    auto cfg = valid_config(kShared);
    CheckPlan plan(cfg);
    ASSERT_EQ(plan.entries.size(), 4u) << "10.0.1.2:80 is checked once for both";
    const auto& shared = plan.entries[plan.entry_of[0][1] - 1];
    EXPECT_EQ(shared.user_count, 2u);
    EXPECT_EQ(plan.entry_of[0][1], plan.entry_of[1][0]);
    const auto* users = &plan.users[shared.first_user];
    EXPECT_EQ(users[0], (config::RealServerId{0, 1}));
    EXPECT_EQ(users[1], (config::RealServerId{1, 0}));
    EXPECT_EQ(plan.entry_of[2][0], 0u) << "unchecked";
    // Every checked real server is a user of its own entry, once, in configuration order.
    ASSERT_EQ(plan.users.size(), 5u);
    std::uint32_t next = 0;
    for (std::uint32_t e = 0; e < plan.entries.size(); ++e) {
        const auto& entry = plan.entries[e];
        EXPECT_EQ(entry.first_user, next);
        next += entry.user_count;
        for (auto u = entry.first_user; u < next; ++u) {
            const auto& user = plan.users[u];
            EXPECT_EQ(plan.entry_of[user.virtual_server][user.real_server], e + 1);
            if (u > entry.first_user) {
                EXPECT_LT(plan.users[u - 1], user);
            }
        }
    }
    EXPECT_EQ(plan.virtual_server_names, (std::vector<std::string>{"web", "web-alt", "plain"}));
    // Equal checks are one copy; a running monitor's check is found by its value.
    EXPECT_EQ(plan.entries[plan.entry_of[0][0] - 1].check,
              plan.entries[plan.entry_of[1][1] - 1].check);
    const auto* tcp = plan.shared(*cfg.virtual_servers[1].check);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(plan.find(tcp, shared.target), plan.entry_of[1][0] - 1);
    EXPECT_EQ(plan.find(tcp, {boost::asio::ip::make_address("10.0.1.9"), 80}), CheckPlan::npos);
    auto other = *cfg.virtual_servers[1].check;
    other.interval = std::chrono::seconds(2);
    EXPECT_EQ(plan.shared(other), nullptr);
}
