// The routing engine's sessions read through real programs: what they print is read whole,
// however many peers it lists, and what cannot be read is said.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "../scratch_dir.hpp"
#include "directord/bgp/engine_sessions.hpp"
#include "valid_config.hpp"

using namespace directord;
using namespace std::chrono_literals;

namespace {

// The watch's first reading of `status_command` then `bfd_command` (YAML lists).
bgp::EngineReading first_reading(const std::string& status, const std::string& bfd) {
    boost::asio::io_context io;
    bgp::EngineWatch watch(io);
    watch.apply(
        valid_config("process: { root_programs: [ /bin/cat, /usr/bin/head ] }\n"
                     "bgp: { status_command: " +
                     status + ", bfd_command: " + bfd + " }\nvirtual_servers: []\n"));
    for (int i = 0; i < 200 && !watch.last(); ++i) io.run_for(50ms);
    EXPECT_TRUE(watch.last()) << "no reading after 10s";
    return watch.last().value_or(bgp::EngineReading{});
}

}  // namespace

TEST(EngineWatch, ASummaryOfManyPeersIsReadWhole) {
    // 60 peers of ~300 bytes: far beyond what a check's output keeps.
    ScratchDir scratch;
    const auto& dir = scratch.path();
    std::ofstream(dir / "summary.json") << [] {
        std::string peers;
        for (int i = 1; i <= 60; ++i)
            peers += "\"10.0.0." + std::to_string(i) + "\": {\"state\": \"" +
                     (i == 60 ? "Active" : "Established") + "\", \"desc\": \"" +
                     std::string(250, 'x') + "\"}" + (i == 60 ? "" : ",\n");
        return "{\"ipv4Unicast\": {\"peers\": {" + peers + "}}}\n";
    }();
    std::ofstream(dir / "bfd.json") << R"([{"peer": "10.0.0.60", "status": "down"}])";

    auto reading = first_reading("[ /bin/cat, " + (dir / "summary.json").string() + " ]",
                                 "[ /bin/cat, " + (dir / "bfd.json").string() + " ]");
    EXPECT_EQ(reading.error, std::nullopt);
    ASSERT_EQ(reading.sessions.size(), 60u);
    std::vector<std::string> down;  // the peers are read in the document's key order
    for (const auto& s : reading.sessions)
        if (!s.established) down.push_back(s.peer);
    EXPECT_EQ(down, std::vector<std::string>{"10.0.0.60"});
    ASSERT_EQ(reading.bfd.size(), 1u);
    EXPECT_EQ(reading.bfd[0].state, "down");
}

TEST(EngineWatch, OutputBeyondTheLimitAndFailuresAreSaid) {
    auto endless = first_reading("[ /usr/bin/head, -c, \"3000000\", /dev/zero ]", "[ /bin/cat ]");
    EXPECT_EQ(endless.error, "/usr/bin/head: exit 0, printed more than 1048576 bytes");
    auto missing = first_reading("[ /bin/cat, /nonexistent/summary ]", "[ /bin/cat ]");
    EXPECT_EQ(missing.error,
              "/bin/cat: exit 1: /bin/cat: /nonexistent/summary: No such file or directory");
}
