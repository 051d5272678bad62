#include "directord/config/settled_file.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "../scratch_dir.hpp"

using directord::config::read_settled_file;
using directord::config::SettledFileError;
using namespace std::chrono_literals;

// A writer that pauses half-way (a reload asked for in between) must not have its fragment
// read: the reader waits until the file has been quiet, and so gets all of it.
TEST(SettledFile, AFileStillBeingWrittenIsReadWhole) {
    ScratchDir dir;
    auto path = dir.file("settled");
    std::ofstream out(path);
    out << "first half\n" << std::flush;
    auto reading =
        std::async(std::launch::async, [&] { return read_settled_file(path, 200ms, 5s); });
    std::this_thread::sleep_for(100ms);
    out << "second half\n" << std::flush;
    out.close();
    auto text = reading.get();
    ASSERT_TRUE(std::holds_alternative<std::string>(text));
    EXPECT_EQ(std::get<std::string>(text), "first half\nsecond half\n");
}

TEST(SettledFile, AFileThatNeverSettlesOrIsMissingIsAnError) {
    ScratchDir dir;
    auto path = dir.file("unsettled");
    std::ofstream(path) << "x";
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        while (writing) {
            std::ofstream(path, std::ios::app) << "x";
            std::this_thread::sleep_for(20ms);
        }
    });
    auto text = read_settled_file(path, 200ms, 600ms);
    writing = false;
    writer.join();
    ASSERT_TRUE(std::holds_alternative<SettledFileError>(text));
    EXPECT_EQ(std::get<SettledFileError>(text).message,
              "kept changing while it was read; try again");
    std::filesystem::remove(path);
    auto missing = read_settled_file(path);
    ASSERT_TRUE(std::holds_alternative<SettledFileError>(missing));
    EXPECT_EQ(std::get<SettledFileError>(missing).message, "cannot open file");
}
