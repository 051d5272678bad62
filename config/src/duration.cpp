#include "directord/duration.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace directord {

std::optional<Duration> parse_duration(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    std::string_view unit(end, text.data() + text.size() - end);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1e6;
    else if (unit == "ms")
        scale = 1e3;
    else if (unit == "us")
        scale = 1;
    else if (unit == "m")
        scale = 60e6;
    else
        return std::nullopt;
    double micros = value * scale;
    if (!std::isfinite(micros) || micros < 0 || micros > 1e15) return std::nullopt;
    return Duration(static_cast<long long>(std::llround(micros)));
}

std::string format_duration(Duration d) {
    auto us = d.count();
    if (us % 1000000 == 0) return fmt::format("{}s", us / 1000000);
    if (us % 1000 == 0 && us < 1000000) return fmt::format("{}ms", us / 1000);
    if (us < 1000) return fmt::format("{}us", us);
    return fmt::format("{}s", static_cast<double>(us) / 1e6);
}

}  // namespace directord
