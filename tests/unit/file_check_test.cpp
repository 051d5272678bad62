// keepalived's FILE_CHECK: the number in a file as a verdict, read again after every change
// that inotify reports (in a directory of the test's own).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "../scratch_dir.hpp"
#include "directord/healthcheck/file_checks.hpp"
#include "valid_config.hpp"

using namespace directord;
using namespace directord::healthcheck;
using namespace std::chrono_literals;

namespace {

config::FileCheck file_check(int weight, bool reverse = false) {
    return {"/run/x", weight, reverse};
}

class FileCheckLab : public ::testing::Test {
  protected:
    void SetUp() override {
        checks_.subscribe([this](const FileChecks::Event& e) { events_.push_back(e); });
    }
    std::string path(const char* name) const { return dir_.file(name); }
    config::Config config_of(int weight) const {
        return valid_config(fmt::format(R"(
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    real_servers:
      - {{ address: 10.0.1.1:80, file_check: {{ path: {}, weight: {} }} }}
      - {{ address: 10.0.1.2:80 }}
)",
                                        path("web1"), weight));
    }
    static void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
    // Runs the loop until an event arrives (or 5 s, a bound far beyond inotify's delay).
    void await_event() {
        auto before = events_.size();
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (events_.size() == before && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
            io_.restart();
        }
    }
    void settle() {  // lets any pending inotify event be handled
        io_.run_for(100ms);
        io_.restart();
    }

    ScratchDir dir_;
    boost::asio::io_context io_;
    FileChecks checks_{io_};
    std::vector<FileChecks::Event> events_;
};

}  // namespace

TEST(FileVerdicts, NumbersAreReadAsKeepalivedReadsThem) {
    EXPECT_EQ(file_number("12\n"), 12);
    EXPECT_EQ(file_number("  -3"), -3);
    EXPECT_EQ(file_number("0x10"), 16);
    EXPECT_EQ(file_number("ready"), 0);  // not a number: 0, as strtol
    EXPECT_EQ(file_number(""), 0);
    EXPECT_EQ(file_number("2147483648"), 2147483648);  // keepalived's upper bound
    EXPECT_EQ(file_number("2147483649"), std::nullopt);
    EXPECT_EQ(file_number("-2147483649"), std::nullopt);
    EXPECT_EQ(file_number("99999999999999999999999"), std::nullopt);
}

TEST(FileVerdicts, WeightZeroIsHealthOtherwiseAWeightChange) {
    EXPECT_EQ(judge_file(file_check(0), 0), (FileVerdict{false, 0}));
    EXPECT_EQ(judge_file(file_check(0), 3), (FileVerdict{true, 0}));
    EXPECT_EQ(judge_file(file_check(0, true), 0), (FileVerdict{true, 0}));
    EXPECT_EQ(judge_file(file_check(0, true), -1), (FileVerdict{false, 0}));
    EXPECT_EQ(judge_file(file_check(10), 3), (FileVerdict{false, 30}));
    EXPECT_EQ(judge_file(file_check(10, true), 3), (FileVerdict{false, -30}));
    EXPECT_EQ(judge_file(file_check(-2147483647), 2147483648).weight_change,
              -std::int64_t{2147483647} * 2147483648);  // no overflow at the extremes
}

TEST_F(FileCheckLab, WritesRenamesAndRemovalsAreSeenAndReadAgain) {
    write(path("web1"), "0\n");
    checks_.apply(config_of(0));
    std::vector<std::string> now;
    checks_.for_each_verdict([&](const auto& e) { now.push_back(e.reason); });
    ASSERT_EQ(now, std::vector<std::string>{"file " + path("web1") + " reads 0"});

    write(path("web1"), "1\n");  // a completed write
    await_event();
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].who, (config::RealServerId{0, 0}));  // web 10.0.1.1:80
    EXPECT_TRUE(events_[0].verdict.down);
    EXPECT_EQ(events_[0].reason, "file " + path("web1") + " reads 1");

    write(path("web1.new"), "0");  // written aside, renamed into place
    std::filesystem::rename(path("web1.new"), path("web1"));
    await_event();
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_FALSE(events_[1].verdict.down);

    write(path("web1"), "5");  // then removed: a missing file reads 0
    await_event();
    std::filesystem::remove(path("web1"));
    await_event();
    ASSERT_EQ(events_.size(), 4u);
    EXPECT_FALSE(events_[3].verdict.down);
    EXPECT_EQ(events_[3].reason, "file " + path("web1") + " is missing (counts as 0)");
}

TEST_F(FileCheckLab, OnlyVerdictChangesAreToldAndAReloadKeepsTheLastReading) {
    write(path("web1"), "2");
    checks_.apply(config_of(5));
    write(path("web1"), "2\n");  // same number: no event
    write(path("other"), "7");   // another file of the directory: no event
    settle();
    EXPECT_TRUE(events_.empty());
    write(path("web1"), "-1");
    await_event();
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].verdict, (FileVerdict{false, -5}));
    checks_.apply(config_of(5));  // a reload: nothing to tell, still watched
    write(path("web1"), "4");
    await_event();
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[1].verdict, (FileVerdict{false, 20}));
    checks_.apply(config_of(0));  // another weight: a new check, read again, told by its caller
    std::vector<FileVerdict> now;
    checks_.for_each_verdict([&](const auto& e) { now.push_back(e.verdict); });
    EXPECT_EQ(now, std::vector<FileVerdict>{(FileVerdict{true, 0})});
}

TEST_F(FileCheckLab, AFifoIsNotWaitedOnAndOutOfRangeNumbersAreIgnored) {
    ASSERT_EQ(mkfifo(path("web1").c_str(), 0600), 0);
    checks_.apply(config_of(0));
    std::vector<std::string> now;
    checks_.for_each_verdict([&](const auto& e) { now.push_back(e.reason); });
    EXPECT_EQ(now, std::vector<std::string>{"file " + path("web1") +
                                            " unreadable: not a regular file (counts as 0)"});
    std::filesystem::remove(path("web1"));
    settle();  // the removal: still 0, nothing to tell
    EXPECT_TRUE(events_.empty());
    write(path("web1"), "3");
    await_event();
    ASSERT_EQ(events_.size(), 1u);
    write(path("web1"), "99999999999");  // beyond 32 bits: the last reading stays
    settle();
    EXPECT_EQ(events_.size(), 1u);
    now.clear();
    checks_.for_each_verdict([&](const auto& e) { now.push_back(e.reason); });
    EXPECT_EQ(now, std::vector<std::string>{"file " + path("web1") + " reads 3"});
}

TEST(FileVerdicts, LoaderReadsFileChecksAndRefusesMistakes) {
    auto cfg = valid_config(R"(
virtual_servers:
  - address: 10.0.0.100:80
    real_servers:
      - { address: 10.0.1.1:80, file_check: { path: /run/web1, weight: -4, reverse: true } }
)");
    ASSERT_EQ(cfg.virtual_servers.size(), 1u);
    EXPECT_EQ(cfg.virtual_servers[0].real_servers[0].file_check,
              (config::FileCheck{"/run/web1", -4, true}));
    auto result = config::load_text(R"(
virtual_servers:
  - address: 10.0.0.100:80
    real_servers:
      - { address: 10.0.1.1:80, file_check: { path: web1 } }
      - { address: 10.0.1.2:80, file_check: { path: /nonexistent/web2, weight: 2147483648 } }
      - { address: 10.0.1.3:80, file_check: { path: /run/web3, reverse: maybe, every: 1s } }
      - { address: 10.0.1.4:80, file_check: /run/web4 }
)",
                                    "t.yaml");
    std::vector<std::string> errors;
    for (const auto& e : std::get<std::vector<config::Error>>(result))
        errors.push_back(e.to_string());
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "t.yaml:5:53: virtual_servers[0].real_servers[0].file_check.path: 'web1' must be "
                  "an absolute path",
                  "t.yaml:6:80: virtual_servers[0].real_servers[1].file_check.weight: 2147483648 "
                  "is out of range (-2147483647..2147483647)",
                  "t.yaml:6:53: virtual_servers[0].real_servers[1].file_check.path: directory "
                  "'/nonexistent' does not exist",
                  "t.yaml:7:80: virtual_servers[0].real_servers[2].file_check.every: unknown key "
                  "(expected one of: path, weight, reverse)",
                  "t.yaml:7:73: virtual_servers[0].real_servers[2].file_check.reverse: expected "
                  "true or false",
                  "t.yaml:8:45: virtual_servers[0].real_servers[3].file_check: expected a mapping",
              }));
}
