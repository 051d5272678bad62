#pragma once
// Real servers' file checks (keepalived's FILE_CHECK): each file is watched with inotify and
// read again after every completed change; the verdict it gives (down, or a weight change) is
// published when it differs from the last one. Reading is a single small read of a local file.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "directord/config/model.hpp"
#include "directord/healthcheck/checker.hpp"
#include "directord/healthcheck/file_watch.hpp"

namespace directord::healthcheck {

// What a file check's number means for its real server.
struct FileVerdict {
    bool down = false;
    std::int64_t weight_change = 0;  // added to the configured weight (never below 0)
    bool operator==(const FileVerdict&) const = default;
};

// The number a file holds, read as keepalived does (strtol, base 0: "12", "-3", "0x10"; text
// that is not a number is 0). None when it is beyond 32 bits: such a value is ignored.
std::optional<std::int64_t> file_number(std::string_view content);
FileVerdict judge_file(const config::FileCheck& check, std::int64_t number);

class FileChecks {
  public:
    struct Event {
        RealServerId who;
        FileVerdict verdict;
        std::string reason;  // "file /run/lb/web1 reads 3", "file /run/lb/web1 is missing (0)"
    };
    using Listener = std::function<void(const Event&)>;

    explicit FileChecks(boost::asio::io_context& io);  // throws IoError
    void subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }
    // Watches the files of `cfg`'s real servers (and no others), reading each one now.
    void apply(const config::Config& cfg);
    // Every watched real server's current verdict (after a reload, consumers resynchronise).
    void for_each_verdict(const std::function<void(const Event&)>& visit) const;
    // One real server's (status); null when it has no file check.
    const Event* verdict_of(const RealServerId& who) const;

  private:
    struct Watched {
        std::string virtual_server, real_server;  // names, for the log and across reloads
        config::FileCheck check;
        int watch_id = 0;
        std::optional<std::int64_t> number;  // as last read
        Event last;
    };
    void read(Watched& w, bool tell);

    FileWatch files_;
    std::map<RealServerId, std::unique_ptr<Watched>> watched_;
    std::vector<Listener> listeners_;
};

}  // namespace directord::healthcheck
