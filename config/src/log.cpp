#include "directord/log.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace directord::log {
namespace {
Level g_level = Level::info;
bool g_syslog = false;

const char* name_of(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warning:
            return "warning";
        case Level::error:
            return "error";
    }
    return "?";
}

int syslog_priority(Level level) {
    switch (level) {
        case Level::debug:
            return LOG_DEBUG;
        case Level::info:
            return LOG_INFO;
        case Level::warning:
            return LOG_WARNING;
        case Level::error:
            return LOG_ERR;
    }
    return LOG_INFO;
}
}  // namespace

bool parse_level(std::string_view text, Level& out) {
    for (Level l : {Level::debug, Level::info, Level::warning, Level::error}) {
        if (text == name_of(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

void set_level(Level level) { g_level = level; }

void use_syslog(bool enabled) {
    if (enabled && !g_syslog) openlog("directord", LOG_PID, LOG_DAEMON);
    g_syslog = enabled;
}

bool enabled(Level level) { return level >= g_level; }

void write(Level level, std::string_view line) {
    if (g_syslog) {
        syslog(syslog_priority(level), "%.*s", static_cast<int>(line.size()), line.data());
        return;
    }
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
    fmt::print(stderr, "{}.{:06d} {} {}\n", stamp, ts.tv_nsec / 1000, name_of(level), line);
}

bool RateLimiter::allow(std::chrono::steady_clock::time_point now, unsigned long& suppressed) {
    if (!first_ && now - last_ < period_) {
        ++held_back_;
        return false;
    }
    first_ = false;
    last_ = now;
    suppressed = held_back_;
    held_back_ = 0;
    return true;
}

}  // namespace directord::log
