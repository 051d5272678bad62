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
    // One unit per magnitude, so lines compare at a glance: 867us, 7.594ms, 1.5s.
    auto us = d.count();
    if (us < 1000) return fmt::format("{}us", us);
    if (us < 1000000) return fmt::format("{}ms", static_cast<double>(us) / 1e3);
    return fmt::format("{}s", static_cast<double>(us) / 1e6);
}

}  // namespace directord
