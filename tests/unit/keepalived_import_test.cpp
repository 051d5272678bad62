// directorctl import-keepalived: keepalived.conf files shaped like the reference deployments'
// and keepalived's documented samples convert to the golden YAML, every keyword left out or
// changed in meaning is named with its line, and the result is a valid directord file.
#include "directord/config/keepalived_import.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../scratch_dir.hpp"
#include "directord/config/loader.hpp"

namespace directord::config {
namespace {

const std::string kDir = std::string(DIRECTORD_TEST_DATA) + "/keepalived/";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Notes as directorctl prints them, with paths relative to the data directory.
std::string notes_of(const ImportResult& result) {
    std::string out;
    for (const auto& note : result.notes) {
        auto line = note.to_string();
        if (line.starts_with(kDir)) line = line.substr(kDir.size());
        out += line + "\n";
    }
    return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ConvertsToTheGoldenYamlWithEveryDropNamed) {
    auto result = import_keepalived(kDir + GetParam() + ".conf");
    ASSERT_TRUE(result.ok);
    EXPECT_EQ(result.yaml, slurp(kDir + GetParam() + ".yaml"));
    EXPECT_EQ(notes_of(result), slurp(kDir + GetParam() + ".notes"));
    auto loaded = load_text(result.yaml, GetParam() + ".yaml");
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded))
        for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
}

INSTANTIATE_TEST_SUITE_P(Keepalived, Golden, ::testing::Values("d1", "d3", "samples"));

TEST(KeepalivedImport, TheDownFileScriptBecomesATrackedFile) {
    auto result = import_keepalived(kDir + "d3.conf");
    EXPECT_NE(
        result.yaml.find("files:\n          - { path: \"/run/keepalived-down\", weight: -5 }"),
        std::string::npos);
    EXPECT_EQ(result.yaml.find("exit 1"), std::string::npos);  // no shell left for it
}

TEST(KeepalivedImport, SyncGroupPasswordsAndNopreemptCarryOver) {
    auto loaded = load_text(import_keepalived(kDir + "d1.conf").yaml, "d1");
    auto* cfg = std::get_if<Config>(&loaded);
    ASSERT_NE(cfg, nullptr);
    ASSERT_EQ(cfg->instances.size(), 2u);
    EXPECT_FALSE(cfg->instances[0].preempt);
    EXPECT_EQ(cfg->instances[0].vrid, 51);
    ASSERT_EQ(cfg->sync_groups.size(), 1u);
    EXPECT_EQ(cfg->sync_groups[0].instances, (std::vector<std::string>{"VI_OUTSIDE", "VI_INSIDE"}));
    ASSERT_EQ(cfg->virtual_servers.size(), 1u);
    EXPECT_EQ(cfg->virtual_servers[0].real_servers.size(), 2u);
}

TEST(KeepalivedImport, BrokenOrMissingFilesAreToldNotCrashedOn) {
    auto missing = import_keepalived(kDir + "no-such.conf");
    EXPECT_FALSE(missing.ok);
    ASSERT_EQ(missing.notes.size(), 1u);
    EXPECT_NE(missing.notes[0].message.find("cannot read"), std::string::npos);

    ScratchDir dir;
    auto path = dir.file("broken-keepalived.conf");
    std::ofstream(path) << "vrrp_instance X {\n  interface eth0\n  virtual_ipaddress {\n}\n}\n}\n"
                           "virtual_server 10.0.0.1 {\n";
    auto broken = import_keepalived(path);
    EXPECT_TRUE(broken.ok);
    std::string notes;
    for (const auto& n : broken.notes) notes += n.to_string() + "\n";
    EXPECT_NE(notes.find(":6: not converted: a '}' closes nothing"), std::string::npos) << notes;
    EXPECT_NE(notes.find("never closed"), std::string::npos) << notes;
    EXPECT_NE(notes.find(":7: not converted: virtual_server: expected an address and a port"),
              std::string::npos)
        << notes;
}

// Hostile shapes found by fuzzing: each is told and converted in bounded time and memory.
TEST(KeepalivedImport, CyclesDeepNestingAndHugeNumbersAreToldNotFollowed) {
    ScratchDir scratch;
    const auto& dir = scratch.path();
    for (const char* name : {"a.conf", "b.conf", "c.conf"})
        std::ofstream(dir / name) << "include *.conf\nvrrp_instance X_" << name[0]
                                  << " {\n  interface eth0\n  virtual_router_id 1\n}\n";
    auto cycle = import_keepalived((dir / "a.conf").string());
    EXPECT_TRUE(cycle.ok);
    std::string notes = notes_of(cycle);
    EXPECT_NE(notes.find("already read (an include cycle, or included twice): skipped"),
              std::string::npos)
        << notes;
    EXPECT_LT(cycle.notes.size(), 100u) << "the cycle was followed";

    std::string deep = "global_defs ";
    for (int i = 0; i < 100000; ++i) deep += "{ ";
    std::ofstream(dir / "deep.txt") << deep << "\n";
    auto nested = import_keepalived((dir / "deep.txt").string());
    EXPECT_NE(notes_of(nested).find("nested more than 32 deep: skipped"), std::string::npos);

    std::ofstream(dir / "numbers.txt") << "vrrp_instance V {\n  interface eth0\n"
                                          "  virtual_router_id 1\n  priority 100\n"
                                          "  advert_int 1e300\n  preempt_delay inf\n"
                                          "  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n";
    auto endless = import_keepalived("/dev/zero");
    EXPECT_NE(notes_of(endless).find("not a regular file"), std::string::npos);

    auto numbers = import_keepalived((dir / "numbers.txt").string());
    EXPECT_NE(numbers.yaml.find("advert_interval: \"1e300\""), std::string::npos) << numbers.yaml;
    EXPECT_NE(numbers.yaml.find("preempt_delay: \"inf\""), std::string::npos) << numbers.yaml;
    EXPECT_TRUE(std::holds_alternative<std::vector<Error>>(load_text(numbers.yaml, "n")));
}

TEST(KeepalivedImport, WhatKeepalivedReallySendsAndRuns) {
    ScratchDir dir;
    auto path = dir.file("import-fidelity.conf");
    std::ofstream(path) << "global_defs {\n  lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400\n}\n"
                           "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"
                           "  priority 100\n  authentication {\n    auth_type PASS\n"
                           "    auth_pass averylongpassword\n  }\n"
                           "  virtual_ipaddress {\n    10.0.0.1\n  }\n"
                           "  virtual_ipaddress_excluded {\n    10.0.5.1/24 dev eth0\n  }\n}\n"
                           "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n"
                           "    TCP_CHECK {\n      nb_get_retry 3\n    }\n  }\n"
                           "  real_server 10.0.1.2 80 {\n    HTTP_GET {\n      url {\n"
                           "        path /\n      }\n    }\n  }\n}\n";
    auto result = import_keepalived(path);
    // keepalived holds the excluded address with the role but never advertises it.
    EXPECT_NE(result.yaml.find("      vips: [10.0.0.1/32]\n      excluded_vips: [10.0.5.1/24]\n"),
              std::string::npos)
        << result.yaml;
    EXPECT_NE(result.yaml.find("password: \"averylon\""), std::string::npos) << result.yaml;
    EXPECT_NE(result.yaml.find("ipvs:\n  sync_daemon: { interface: \"eth1\", instance: "
                               "\"VI_1\", sync_id: 7, max_length: 1400 }"),
              std::string::npos)
        << result.yaml;
    std::string notes = notes_of(result);
    EXPECT_NE(notes.find("keepalived sends only 'averylon'"), std::string::npos) << notes;
    // keepalived 2.2.7 ignores nb_get_retry in TCP_CHECK; its defaults are written out.
    EXPECT_NE(notes.find("reads nb_get_retry only in HTTP_GET and SSL_GET"), std::string::npos);
    EXPECT_NE(result.yaml.find("tcp: {}, interval: 60s, timeout: 5s, retries: 1, retry_delay: 1s"),
              std::string::npos)
        << result.yaml;
    EXPECT_NE(result.yaml.find("interval: 60s, timeout: 5s, retries: 1, retry_delay: 3s"),
              std::string::npos)
        << result.yaml;
    auto loaded = load_text(result.yaml, "fidelity");
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded))
        for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
}

// The dispatcher that replaces keepalived's per-event scripts runs each on its own event only.
TEST(KeepalivedImport, NotifyScriptsRunOnTheirOwnEvents) {
    ScratchDir scratch;
    const auto& dir = scratch.path();
    auto marker = (dir / "ran").string();
    std::string conf = "virtual_server 10.0.0.1 80 {\n  quorum_down \"/bin/sh -c 'echo lost >>" +
                       marker +
                       "'\"\n  real_server 10.0.1.1 80 {\n    notify_up \"/bin/sh -c 'echo " +
                       "up >>" + marker + "'\"\n  }\n  real_server 10.0.1.2 80 {\n  }\n}\n";
    std::ofstream(dir / "k.conf") << conf;
    auto result = import_keepalived((dir / "k.conf").string());
    auto loaded = load_text(result.yaml, "k.yaml");
    ASSERT_TRUE(std::holds_alternative<Config>(loaded)) << result.yaml;
    const auto& argv = std::get<Config>(loaded).virtual_servers.at(0).notify;
    ASSERT_EQ(argv.size(), 3u) << result.yaml;
    auto fire = [&](const char* event, const char* real_server) {
        pid_t pid = fork();
        if (pid == 0) {
            std::vector<std::string> env{std::string("DIRECTORD_EVENT=") + event,
                                         std::string("DIRECTORD_REAL_SERVER=") + real_server};
            char* envp[] = {env[0].data(), env[1].data(), nullptr};
            char* args[] = {const_cast<char*>(argv[0].c_str()), const_cast<char*>(argv[1].c_str()),
                            const_cast<char*>(argv[2].c_str()), nullptr};
            execve(args[0], args, envp);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
    };
    fire("real_server_up", "10.0.1.2:80");  // no script for this one
    fire("real_server_down", "10.0.1.1:80");
    fire("real_server_up", "10.0.1.1:80");
    fire("quorum_reached", "");
    fire("quorum_lost", "");
    EXPECT_EQ(slurp(marker), "up\nlost\n");
}

}  // namespace
}  // namespace directord::config
