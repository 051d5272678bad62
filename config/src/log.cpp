#include "directord/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#define SD_JOURNAL_SUPPRESS_LOCATION  // CODE_FILE would name log.cpp, not the event's place
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace directord::log {
namespace {
Level g_level = Level::info;
bool g_syslog = false;
bool g_journal = false;

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

bool use_journal_if_stderr_is_it() {
    // "DEVICE:INODE" of the stream systemd connected stdout/stderr to (systemd.exec(5)).
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat st {};
    unsigned long long device = 0, inode = 0;
    g_journal = stream && std::sscanf(stream, "%llu:%llu", &device, &inode) == 2 &&
                fstat(STDERR_FILENO, &st) == 0 && st.st_dev == device && st.st_ino == inode;
    return g_journal;
}

bool enabled(Level level) { return level >= g_level; }

namespace {
// One entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the event's fields. False if the journal
// refused it (the line then goes to stderr).
bool send_to_journal(Level level, std::string_view line, const Fields& f) {
    std::vector<std::string> items{fmt::format("MESSAGE={}", line),
                                   fmt::format("PRIORITY={}", syslog_priority(level)),
                                   "SYSLOG_IDENTIFIER=directord"};
    for (auto [name, value] : {std::pair{"INSTANCE", f.instance},
                               {"VRID", f.vrid},
                               {"STATE", f.state},
                               {"VIRTUAL_SERVER", f.virtual_server},
                               {"REAL_SERVER", f.real_server},
                               {"VIP", f.vip},
                               {"REASON", f.reason}})
        if (!value.empty()) items.push_back(fmt::format("{}={}", name, value));
    std::vector<iovec> vectors;
    for (auto& item : items) vectors.push_back({item.data(), item.size()});
    return sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size())) >= 0;
}
}  // namespace

void write(Level level, std::string_view line, const Fields& fields) {
    if (g_journal && send_to_journal(level, line, fields)) return;
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
