// The asynchronous process runner against real programs.
#include "directord/healthcheck/process.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../scratch_dir.hpp"

using directord::healthcheck::ProcessResult;
using directord::healthcheck::ProcessSlot;
using namespace std::chrono_literals;

namespace {

const directord::config::RunAs kSelf{geteuid(), getegid()};

ProcessResult run(const std::vector<std::string>& argv, std::chrono::microseconds timeout,
                  const std::vector<std::string>& env = {},
                  const directord::config::RunAs& as = kSelf,
                  std::size_t max_output = directord::healthcheck::kMaxOutput) {
    boost::asio::io_context io;
    ProcessSlot slot(io, max_output);
    ProcessResult result;
    bool done = false;
    EXPECT_TRUE(slot.start(as, argv, env, timeout, [&](const ProcessResult& r) {
        result = r;
        done = true;
    }));
    io.run_for(10s);
    EXPECT_TRUE(done);
    return result;
}

}  // namespace

TEST(Process, ExitCodesAndOutput) {
    auto ok = run({"/bin/sh", "-c", "echo hello; echo oops >&2"}, 5s);
    EXPECT_TRUE(ok.success());
    EXPECT_EQ(ok.output, "hello\noops\n");
    auto bad = run({"/bin/sh", "-c", "exit 3"}, 5s);
    EXPECT_FALSE(bad.success());
    EXPECT_EQ(bad.exit_code, 3);
    EXPECT_EQ(bad.describe(), "exit 3");
    auto said = run({"/bin/sh", "-c", "echo first; echo second; exit 2"}, 5s);
    EXPECT_EQ(said.reason(), "exit 2: first");  // a failure's first line, for one log line
    EXPECT_EQ(ok.reason(), "exit 0");
}

TEST(Process, TheEnvironmentIsTheEventsAndNothingOfTheDaemons) {
    setenv("DIRECTORD_TEST_SECRET", "leaked", 1);
    auto r = run({"/usr/bin/env"}, 5s, {"DIRECTORD_STATE=MASTER"});
    unsetenv("DIRECTORD_TEST_SECRET");
    EXPECT_EQ(r.output,
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
              "LANG=C.UTF-8\nDIRECTORD_STATE=MASTER\n");
}

TEST(Process, TimeoutKillsTheWholeGroup) {
    // The child's own child holds the pipe too: both must die, and we must not wait for it.
    auto start = std::chrono::steady_clock::now();
    auto r = run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 200ms);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.success());
    EXPECT_EQ(r.signal, 9);
}

TEST(Process, BackgroundChildrenGoWhenTheProgramExits) {
    ScratchDir dir;
    auto marker = dir.file("background-child");
    auto r = run({"/bin/sh", "-c", "(sleep 1; touch " + marker + ") >/dev/null 2>&1 & exit 0"}, 5s);
    EXPECT_TRUE(r.success());
    std::this_thread::sleep_for(1500ms);
    EXPECT_NE(access(marker.c_str(), F_OK), 0) << "the background child outlived its program";
}

TEST(Process, SpawnFailureIsReported) {
    auto r = run({"/nonexistent/program"}, 1s);
    EXPECT_FALSE(r.started);
    EXPECT_NE(r.describe().find("spawn failed"), std::string::npos);
}

TEST(Process, NoPileUpWhileARunIsOutstanding) {
    boost::asio::io_context io;
    ProcessSlot slot(io);
    int finished = 0;
    auto count = [&](const ProcessResult&) { ++finished; };
    EXPECT_TRUE(slot.start(kSelf, {"/bin/sleep", "0.3"}, {}, 5s, count));
    EXPECT_TRUE(slot.busy());
    EXPECT_FALSE(slot.start(kSelf, {"/bin/true"}, {}, 5s, count));
    io.run_for(3s);
    EXPECT_EQ(finished, 1);
    EXPECT_FALSE(slot.busy());
}

TEST(Process, OutputIsCutAtTheSlotsLimit) {
    const std::vector<std::string> argv{"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"};
    auto r = run(argv, 5s);
    EXPECT_TRUE(r.success());
    EXPECT_TRUE(r.truncated());
    EXPECT_EQ(r.output.size(), directord::healthcheck::kMaxOutput);
    EXPECT_EQ(r.describe(), "exit 0, printed more than 4096 bytes");
    auto whole = run(argv, 5s, {}, kSelf, 100000);
    EXPECT_FALSE(whole.truncated());
    EXPECT_EQ(whole.describe(), "exit 0");
    EXPECT_EQ(whole.output, std::string(100000, 'x'));
}

// keepalived's script_user: the program runs with the user's ids, its group and no other.
TEST(Process, ProgramsRunAsTheirUserWithNoOtherGroups) {
    if (geteuid() != 0) GTEST_SKIP() << "changing users needs root";
    const directord::config::RunAs nobody{65534, 65534};
    auto r = run({"/bin/sh", "-c", "id -u; id -g; id -G; echo $DIRECTORD_X"}, 5s,
                 {"DIRECTORD_X=kept"}, nobody);
    EXPECT_TRUE(r.success()) << r.describe();
    EXPECT_EQ(r.output, "65534\n65534\n65534\nkept\n");
    auto timed = run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 200ms, {}, nobody);
    EXPECT_TRUE(timed.timed_out);  // its process group is still ours to kill

    ScratchDir dir;  // 0700: out of nobody's reach
    std::string program = dir.file("check");
    std::ofstream(program) << "#!/bin/sh\n";
    chmod(program.c_str(), 0755);
    auto refused = run({program}, 5s, {}, nobody);
    EXPECT_FALSE(refused.started);
    EXPECT_EQ(refused.describe(), "spawn failed: " + program + ": Permission denied");
}
