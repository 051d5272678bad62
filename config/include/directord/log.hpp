#pragma once
// One-line-per-event logging to stderr or syslog. Every line names its subject
// (instance, interface, ...) so operators can grep for it.
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace directord::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

// Parses "debug", "info", "warning", "error"; returns false on anything else.
bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
void use_syslog(bool enabled);
bool enabled(Level level);
void write(Level level, std::string_view line);

template <class... Args>
void debug(fmt::format_string<Args...> fmt, Args&&... args) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> fmt, Args&&... args) {
    if (enabled(Level::info)) write(Level::info, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> fmt, Args&&... args) {
    if (enabled(Level::warning))
        write(Level::warning, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> fmt, Args&&... args) {
    if (enabled(Level::error)) write(Level::error, fmt::format(fmt, std::forward<Args>(args)...));
}

// Lets through at most one line per period and counts what it suppressed, so a
// flood of bad packets cannot flood the log.
class RateLimiter {
  public:
    explicit RateLimiter(std::chrono::steady_clock::duration period) : period_(period) {}
    // True if a line may be written now; `suppressed` is set to how many were held back since.
    bool allow(std::chrono::steady_clock::time_point now, unsigned long& suppressed);

  private:
    std::chrono::steady_clock::duration period_;
    std::chrono::steady_clock::time_point last_{};
    bool first_ = true;
    unsigned long held_back_ = 0;
};

// One RateLimiter per kind of event (a drop reason, say): a flood of one kind must not hide
// the first line of another.
class RateLimiters {
  public:
    RateLimiters(std::size_t kinds, std::chrono::steady_clock::duration period)
        : limiters_(kinds, RateLimiter(period)) {}
    bool allow(std::size_t kind, std::chrono::steady_clock::time_point now,
               unsigned long& suppressed) {
        return limiters_.at(kind).allow(now, suppressed);
    }

  private:
    std::vector<RateLimiter> limiters_;
};

}  // namespace directord::log
