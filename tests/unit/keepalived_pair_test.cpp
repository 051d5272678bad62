// directorctl import-keepalived A.conf B.conf: a pair becomes one cluster file. What may differ
// between directors becomes a per-node setting, named in a note; anything else that differs is
// an error to fix, and nothing is converted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../scratch_dir.hpp"
#include "directord/config/keepalived_import.hpp"
#include "directord/config/loader.hpp"

namespace directord::config {
namespace {

const std::string kDir = std::string(DIRECTORD_TEST_DATA) + "/keepalived/";

std::string notes_text(const ImportResult& result) {
    std::string out;
    for (const auto& n : result.notes) out += n.to_string() + "\n";
    return out;
}

Config node_of(const ImportResult& result, const std::string& node) {
    auto loaded = load_text(result.yaml, "pair.yaml", node);
    if (auto* errors = std::get_if<std::vector<Error>>(&loaded)) {
        for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
        return {};
    }
    return std::get<Config>(loaded);
}

TEST(KeepalivedPair, PriorityAndPreemptBecomePerNodeSettings) {
    auto result = import_keepalived_pair(kDir + "d1.conf", kDir + "d1-peer.conf");
    ASSERT_TRUE(result.ok) << notes_text(result);
    EXPECT_EQ(result.nodes, (std::vector<std::string>{"DLVS1", "DLVS2"}));
    auto dlvs1 = node_of(result, "DLVS1"), dlvs2 = node_of(result, "DLVS2");
    ASSERT_EQ(dlvs1.instances.size(), 2u);
    ASSERT_EQ(dlvs2.instances.size(), 2u);
    EXPECT_EQ(dlvs1.router_id, "DLVS1");
    EXPECT_EQ(dlvs1.instances[0].priority, 101);
    EXPECT_FALSE(dlvs1.instances[0].preempt);
    EXPECT_EQ(dlvs2.instances[0].priority, 100);
    EXPECT_TRUE(dlvs2.instances[0].preempt);
    EXPECT_EQ(dlvs1.instances[1].auth.password, dlvs2.instances[1].auth.password);
    EXPECT_EQ(dlvs1.virtual_servers.size(), 1u);
    auto notes = notes_text(result);
    EXPECT_NE(notes.find("d1-peer.conf: note: instance VI_OUTSIDE: priority per node (DLVS1 101, "
                         "DLVS2 100)"),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find("instance VI_INSIDE: preempt per node (DLVS1 false, DLVS2 true)"),
              std::string::npos)
        << notes;
    // The shared part is written once, not twice.
    EXPECT_EQ(result.yaml.find("- name: VI_OUTSIDE"), result.yaml.rfind("- name: VI_OUTSIDE"));
}

TEST(KeepalivedPair, ADifferentPasswordOrVipListIsAnErrorNotADetail) {
    ScratchDir scratch;
    const auto& dir = scratch.path();
    std::ifstream in(kDir + "d1-peer.conf");
    std::stringstream text;
    text << in.rdbuf();
    auto peer = text.str();
    auto at = peer.find("auth_pass dlvs-51");
    ASSERT_NE(at, std::string::npos);
    peer.replace(at, 17, "auth_pass other51");
    at = peer.find("10.80.1.254/24");
    ASSERT_NE(at, std::string::npos);
    peer.replace(at, 14, "10.80.1.253/24");
    std::ofstream(dir / "peer.conf") << peer;

    auto result = import_keepalived_pair(kDir + "d1.conf", (dir / "peer.conf").string());
    EXPECT_FALSE(result.ok);
    auto notes = notes_text(result);
    EXPECT_NE(notes.find("not converted: instance VI_OUTSIDE: auth differs between"),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find("not converted: instance VI_INSIDE: vips differs between"),
              std::string::npos)
        << notes;
    EXPECT_EQ(notes.find("other51"), std::string::npos) << "a password is never printed";
    EXPECT_EQ(notes.find("dlvs-51"), std::string::npos) << "a password is never printed";
}

}  // namespace
}  // namespace directord::config
