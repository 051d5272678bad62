// The operator state file: drains and weights kept across reloads and restarts.
#include "operator_state.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../scratch_dir.hpp"

using namespace directord::daemon;

namespace {

std::string error_of(const std::variant<OperatorWeights, std::string>& parsed) {
    auto* why = std::get_if<std::string>(&parsed);
    return why ? *why : "(parsed)";
}

}  // namespace

TEST(OperatorState, RoundTripsThroughItsText) {
    OperatorWeights weights{{"www", {{"10.0.1.1:80", 0}, {"[fd00::1]:80", 7}}}, {"db", {}}};
    auto parsed = parse_operator_state(format_operator_state(weights));
    ASSERT_TRUE(std::holds_alternative<OperatorWeights>(parsed)) << error_of(parsed);
    weights.erase("db");  // a pool without weights leaves no line
    EXPECT_EQ(std::get<OperatorWeights>(parsed), weights);
}

TEST(OperatorState, ATextThatIsNotSuchAFileIsToldWhy) {
    EXPECT_EQ(error_of(parse_operator_state("{")), "not a JSON object");
    EXPECT_EQ(error_of(parse_operator_state("[]")), "not a JSON object");
    EXPECT_EQ(error_of(parse_operator_state(R"({"operator_weights": []})")), "version 1 expected");
    EXPECT_EQ(error_of(parse_operator_state(R"({"version": 1, "operator_weights": {}})")),
              "\"operator_weights\" must be a list");
    auto entry = [](const char* e) {
        return error_of(parse_operator_state(
            std::string(R"({"version": 1, "operator_weights": [)") + e + "]}"));
    };
    const char* told =
        "operator_weights[0] must be {virtual_server: NAME, real_server: ADDRESS:PORT, weight: "
        "0..2147483647}";
    EXPECT_EQ(entry(R"({"virtual_server": "www", "real_server": "10.0.1.1:80", "weight": -1})"),
              told);
    EXPECT_EQ(entry(R"({"virtual_server": "www", "real_server": "10.0.1.1:80"})"), told);
    EXPECT_EQ(entry(R"({"virtual_server": 1, "real_server": "10.0.1.1:80", "weight": 0})"), told);
    EXPECT_EQ(entry(R"({"virtual_server": "www", "real_server": "a", "weight": 1e99})"), told);
    EXPECT_EQ(entry("null"), told);
}

TEST(OperatorState, TheFileIsWrittenWhenItChangesAndReadBack) {
    ScratchDir dir;
    auto path = dir.file("state/state.json");  // its directory made on the first write
    OperatorStateFile file(path);
    auto none = file.read();
    ASSERT_TRUE(std::holds_alternative<OperatorWeights>(none));
    EXPECT_TRUE(std::get<OperatorWeights>(none).empty());
    EXPECT_EQ(file.write({}), std::nullopt);  // nothing kept yet: nothing written
    struct stat st {};
    EXPECT_NE(stat(path.c_str(), &st), 0);
    OperatorWeights drained{{"www", {{"10.0.1.1:80", 0}}}};
    EXPECT_EQ(file.write(drained), std::nullopt);
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    OperatorStateFile again(path);  // a restart
    auto read = again.read();
    ASSERT_TRUE(std::holds_alternative<OperatorWeights>(read)) << error_of(read);
    EXPECT_EQ(std::get<OperatorWeights>(read), drained);
    std::ofstream(path) << "garbage";
    OperatorStateFile broken(path);
    EXPECT_EQ(error_of(broken.read()), path + ": not a JSON object");
}

TEST(OperatorState, AFileThatCannotBeWrittenIsTold) {
    OperatorStateFile file("/proc/directord-no-such-dir/state.json");
    (void)file.read();
    auto failed = file.write({{"www", {{"10.0.1.1:80", 0}}}});
    ASSERT_TRUE(failed.has_value());
    EXPECT_NE(failed->find("/proc/directord-no-such-dir/state.json: "), std::string::npos)
        << *failed;
}
