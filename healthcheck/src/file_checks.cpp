#include "directord/healthcheck/file_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "directord/io_error.hpp"
#include "directord/log.hpp"
#include "directord/text.hpp"

namespace directord::healthcheck {

std::optional<std::int64_t> file_number(std::string_view content) {
    std::string text(content.substr(0, 127));  // keepalived reads at most 127 bytes
    errno = 0;
    long long n = std::strtoll(text.c_str(), nullptr, 0);
    // keepalived accepts INT32_MAX + 1 as well: its "2147483648" written by some tools.
    if (errno || n < std::int64_t{INT32_MIN} || n > std::int64_t{INT32_MAX} + 1)
        return std::nullopt;
    return n;
}

FileVerdict judge_file(const config::FileCheck& check, std::int64_t number) {
    if (check.weight == 0) return {(number != 0) != check.reverse, 0};
    std::int64_t change = number * check.weight;  // both within 32 bits: no overflow
    return {false, check.reverse ? -change : change};
}

namespace {

struct FileRead {
    std::optional<std::string> content;  // none: could not be read
    std::string problem;                 // why not
};

// One non-blocking read of at most 127 bytes; a FIFO or a device is refused, not waited on.
FileRead read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {std::nullopt, errno == ENOENT ? "missing" : std::strerror(errno)};
    struct stat st {};
    FileRead result;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        result.problem = "not a regular file";
    } else {
        char buffer[128];
        ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
        if (n < 0)
            result.problem = std::strerror(errno);
        else
            result.content.emplace(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return result;
}

std::string describe(const FileVerdict& v) {
    if (v.down) return "down";
    if (v.weight_change == 0) return "up";
    return fmt::format("up, weight {:+d}", v.weight_change);
}

}  // namespace

FileChecks::FileChecks(boost::asio::io_context& io) : files_(io) {}

void FileChecks::apply(const config::Config& cfg) {
    // A file check that stays keeps its last reading, so a reload logs only real changes.
    auto before = std::exchange(watched_, {});
    std::map<std::pair<std::string_view, std::string_view>, const Watched*> before_by_name;
    for (auto& [id, w] : before) {
        if (w->watch_id) files_.unwatch(w->watch_id);
        before_by_name.emplace(
            std::pair<std::string_view, std::string_view>(w->virtual_server, w->real_server),
            w.get());
    }
    for (std::uint32_t i = 0; i < cfg.virtual_servers.size(); ++i) {
        const auto& vs = cfg.virtual_servers[i];
        for (std::uint32_t j = 0; j < vs.real_servers.size(); ++j) {
            const auto& rs = vs.real_servers[j];
            if (!rs.file_check) continue;
            auto w = std::make_unique<Watched>();
            w->virtual_server = vs.name;
            w->real_server = endpoint_name(rs.address, rs.port);
            w->check = *rs.file_check;
            if (auto old = before_by_name.find({w->virtual_server, w->real_server});
                old != before_by_name.end() && old->second->check == w->check) {
                w->number = old->second->number;
                w->last = old->second->last;
            }
            w->last.who = RealServerId{i, j};
            Watched& ref = *w;
            try {
                w->watch_id =
                    files_.watch_content(w->check.path, [this, &ref] { read(ref, true); });
            } catch (const IoError& e) {
                log::error("{} {}: file check not watched, only read now: {}", vs.name,
                           w->real_server, e.what());
            }
            read(ref, false);
            watched_.emplace(ref.last.who, std::move(w));
        }
    }
}

void FileChecks::read(Watched& w, bool tell) {
    FileRead file = read_small_file(w.check.path);
    std::string reason;
    std::int64_t number = 0;
    if (!file.content) {
        reason =
            fmt::format("file {} {} (counts as 0)", w.check.path,
                        file.problem == "missing" ? "is missing" : "unreadable: " + file.problem);
    } else if (auto n = file_number(*file.content)) {
        number = *n;
        reason = fmt::format("file {} reads {}", w.check.path, number);
    } else {
        log::warning("{} {}: file {} holds '{}', beyond 32 bits: ignored, {} kept",
                     w.virtual_server, w.real_server, w.check.path,
                     text::printable(file.content->substr(0, 40)),
                     w.number ? std::to_string(*w.number) : "0");
        return;
    }
    Event event{w.last.who, judge_file(w.check, number), std::move(reason)};
    bool changed = !w.number || event.verdict != w.last.verdict;
    w.number = number;
    w.last = std::move(event);
    if (!changed) return;
    log::info(
        {.virtual_server = w.virtual_server, .real_server = w.real_server, .reason = w.last.reason},
        "{} {}: {}: {}", w.virtual_server, w.real_server, w.last.reason, describe(w.last.verdict));
    if (tell)
        for (const auto& listener : listeners_) listener(w.last);
}

void FileChecks::for_each_verdict(const std::function<void(const Event&)>& visit) const {
    for (const auto& [key, w] : watched_) visit(w->last);
}

const FileChecks::Event* FileChecks::verdict_of(const RealServerId& who) const {
    auto it = watched_.find(who);
    return it == watched_.end() ? nullptr : &it->second->last;
}

}  // namespace directord::healthcheck
