#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace directord {

using Duration = std::chrono::microseconds;

// "1s", "100ms", "0.5s", "2m", "250us" or a bare number of seconds ("3", "0.1").
std::optional<Duration> parse_duration(std::string_view text);
// Shortest readable form: "1s", "100ms", "1.5s".
std::string format_duration(Duration d);

}  // namespace directord
