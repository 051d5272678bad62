// What a configuration changes against the running one: the reload's report.
#include "directord/config/changes.hpp"

#include <gtest/gtest.h>

#include "directord/config/loader.hpp"
#include "valid_config.hpp"

using namespace directord::config;

namespace {

const char* kBase = R"(
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, priority: 100, vips: [10.0.0.100/24] }
    - { name: db, interface: eth0, vrid: 52, priority: 100, vips: [10.0.0.101/24] }
virtual_servers:
  - name: www
    address: 10.0.0.100:80
    real_servers: [{ address: 10.0.1.1:80 }, { address: 10.0.1.2:80 }]
)";

using Lines = std::vector<std::string>;

}  // namespace

TEST(Changes, NothingRunningMeansEveryItemIsAdded) {
    auto changes = describe_changes(nullptr, valid_config(kBase));
    EXPECT_EQ(changes.lines,
              (Lines{"instance web: added", "instance db: added", "virtual server www: added"}));
    EXPECT_EQ(changes.count, 3u);
}

TEST(Changes, TheSameFileChangesNothingEvenWithItsLinesMoved) {
    auto before = valid_config(kBase);
    std::string moved = std::string("\n\n# a comment\n") + kBase;
    auto changes = describe_changes(&before, valid_config(moved));
    EXPECT_TRUE(changes.empty()) << changes.lines.front();
}

TEST(Changes, EachItemAddedRemovedOrChangedIsOneLineSayingWhat) {
    auto before = valid_config(kBase);
    auto after = valid_config(R"(
router_id: lb1
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, priority: 101, vips: [10.0.0.100/24, 10.0.0.102/24] }
    - { name: api, interface: eth0, vrid: 53, priority: 100, vips: [10.0.0.103/24] }
virtual_servers:
  - name: www
    address: 10.0.0.100:80
    scheduler: rr
    real_servers: [{ address: 10.0.1.1:80, weight: 3 }, { address: 10.0.1.3:80 }, { address: 10.0.1.4:80 }]
)");
    auto changes = describe_changes(&before, after);
    EXPECT_EQ(changes.lines,
              (Lines{"router_id: - -> lb1", "instance web: changed (priority, vips)",
                     "instance api: added", "instance db: removed",
                     "virtual server www: settings changed, 2 real server(s) added, 1 real "
                     "server(s) removed, 1 real server(s) changed"}));
}

TEST(Changes, AThousandChangesAreCountedButListedUpToTheLimit) {
    Config before, after;
    for (int i = 0; i < 1000; ++i) {
        VirtualServer vs;
        vs.name = "vs" + std::to_string(i);
        after.virtual_servers.push_back(vs);
    }
    auto changes = describe_changes(&before, after);
    EXPECT_EQ(changes.count, 1000u);
    ASSERT_EQ(changes.lines.size(), Changes::kMaxLines + 1);
    EXPECT_EQ(changes.lines.back(), "... and 950 more");
}
