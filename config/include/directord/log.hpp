#pragma once
// One-line-per-event logging to stderr, syslog or systemd's journal. Every line names its
// subject (instance, interface, ...) so operators can grep for it; in the journal an event's
// subjects are fields of the entry too, so `journalctl -u directord INSTANCE=web` finds them.
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace directord::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

// Parses "debug", "info", "warning", "error"; returns false on anything else.
// What an event is about: in the journal, the fields INSTANCE, VRID, STATE, VIRTUAL_SERVER,
// REAL_SERVER, VIP and REASON of its entry (the empty ones left out).
struct Fields {
    std::string_view instance{}, vrid{}, state{}, virtual_server{}, real_server{}, vip{}, reason{};
};

bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
void use_syslog(bool enabled);
// Under systemd (stderr is the journal stream JOURNAL_STREAM names), entries go to the journal
// with their fields; returns whether they do.
bool use_journal_if_stderr_is_it();
bool enabled(Level level);
void write(Level level, std::string_view line, const Fields& fields = {});

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

// An event with its fields.
template <class... Args>
void info(const Fields& fields, fmt::format_string<Args...> fmt, Args&&... args) {
    if (enabled(Level::info))
        write(Level::info, fmt::format(fmt, std::forward<Args>(args)...), fields);
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
