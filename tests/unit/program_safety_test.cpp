// Programs directord runs (track scripts, script checks, notify hooks) are refused at load when
// someone other than root could replace them: keepalived's enable_script_security, always on.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../scratch_dir.hpp"
#include "valid_config.hpp"

namespace fs = std::filesystem;

namespace {

class ProgramSafety : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "ownership rules need root";
        chmod(dir_.c_str(), 0755);
    }
    std::string program(const std::string& name, mode_t mode) {
        auto path = scratch_.file(name);
        std::ofstream(path) << "#!/bin/sh\nexit 0\n";
        chmod(path.c_str(), mode);
        return path;
    }
    std::vector<std::string> errors_for(const std::string& path) {
        return config_errors("virtual_servers:\n  - address: 10.0.0.1:80\n    notify: [" + path +
                             "]\n    real_servers: [{ address: 10.0.1.1:80 }]\n");
    }
    std::string rule() const {
        return " (the program and every directory above it must be root's and writable by root "
               "alone)";
    }
    ScratchDir scratch_;
    std::string dir_ = scratch_.path().string();
};

}  // namespace

TEST_F(ProgramSafety, RootsProgramsInRootsDirectoriesRun) {
    EXPECT_EQ(errors_for(program("ok", 0755)), std::vector<std::string>{});
    EXPECT_EQ(errors_for("/bin/true"), std::vector<std::string>{});  // a link, resolved
}

TEST_F(ProgramSafety, AWritableProgramOrDirectoryIsRefusedWithWhatIsWrong) {
    auto open = program("open", 0757);
    EXPECT_EQ(errors_for(open),
              std::vector<std::string>{"t.yaml:3:14: virtual_servers[0].notify[0]: '" + open +
                                       "' is not safe to run: " + open + " is writable by others" +
                                       rule()});
    auto grouped = program("grouped", 0775);
    ASSERT_EQ(chown(grouped.c_str(), 0, 100), 0);
    EXPECT_EQ(errors_for(grouped),
              std::vector<std::string>{"t.yaml:3:14: virtual_servers[0].notify[0]: '" + grouped +
                                       "' is not safe to run: " + grouped +
                                       " is writable by group 100" + rule()});
    auto owned = program("owned", 0755);
    ASSERT_EQ(chown(owned.c_str(), 1000, 0), 0);
    EXPECT_EQ(errors_for(owned),
              std::vector<std::string>{"t.yaml:3:14: virtual_servers[0].notify[0]: '" + owned +
                                       "' is not safe to run: " + owned + " is owned by uid 1000" +
                                       rule()});
    auto inside = program("inside", 0755);
    chmod(dir_.c_str(), 0777);  // anyone may rename another program onto it
    EXPECT_EQ(errors_for(inside),
              std::vector<std::string>{"t.yaml:3:14: virtual_servers[0].notify[0]: '" + inside +
                                       "' is not safe to run: " + dir_ + " is writable by others" +
                                       rule()});
    chmod(dir_.c_str(), 01777);  // sticky, as /tmp: only the owner may rename or remove
    EXPECT_EQ(errors_for(inside), std::vector<std::string>{});
}

// keepalived's script_user, done by default: every program runs as process.script_user
// (nobody unless named), as root only where process.root_programs lists it.
TEST(ScriptUser, EveryProgramRunsAsTheScriptUserUnlessListedAsRoots) {
    auto cfg = valid_config(R"(
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      vips: [10.0.0.100/24]
      notify: [/bin/true, instance]
      track: { scripts: [{ name: s, run: [/bin/false] }] }
virtual_servers:
  - address: 10.0.0.100:80
    notify: [/bin/true, vs]
    check: { script: { run: [/bin/echo] } }
    real_servers: [{ address: 10.0.1.1:80 }]
process: { root_programs: [/bin/false] }
)");
    const directord::config::RunAs nobody{65534, 65534}, root{0, 0};
    ASSERT_EQ(cfg.instances.size(), 1u);
    EXPECT_EQ(cfg.process.script_user, "nobody");
    EXPECT_EQ(cfg.instances[0].notify_as, nobody);
    EXPECT_EQ(cfg.instances[0].track_scripts.at(0).run_as, root);
    EXPECT_EQ(cfg.virtual_servers.at(0).notify_as, nobody);
    const auto& check =
        std::get<directord::config::ScriptCheck>(cfg.virtual_servers[0].check->kind);
    EXPECT_EQ(check.run_as, nobody);

    EXPECT_EQ(config_errors(R"(
virtual_servers:
  - address: 10.0.0.100:80
    notify: [/bin/true]
    real_servers: [{ address: 10.0.1.1:80 }]
process: { script_user: no-such-user, root_programs: [bin/true] }
)"),
              (std::vector<std::string>{
                  "t.yaml:6:55: process.root_programs[0]: a program is named by its absolute path",
                  "t.yaml:6:25: process.script_user: no user 'no-such-user' on this host to run "
                  "programs as: name one, or list the programs to run as root in "
                  "process.root_programs"}));
}
