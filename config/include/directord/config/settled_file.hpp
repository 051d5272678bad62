#pragma once
// Reading a file that may be being written: a reload can be asked for while a tool is still
// writing the new file, and a fragment that happens to parse must not be applied.
#include <chrono>
#include <string>
#include <variant>

namespace directord::config {

struct SettledFileError {
    std::string message;  // "cannot open file", "kept changing while it was read"
};

// The file's content once it has not been modified for `quiet` and was not modified while
// it was read (size, mtime, ctime and inode the same before and after); waits at most
// `patience` for that.
std::variant<std::string, SettledFileError> read_settled_file(
    const std::string& path, std::chrono::milliseconds quiet = std::chrono::milliseconds(200),
    std::chrono::milliseconds patience = std::chrono::seconds(5));

}  // namespace directord::config
