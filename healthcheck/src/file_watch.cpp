#include "directord/healthcheck/file_watch.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <filesystem>

#include "directord/io_error.hpp"
#include "directord/log.hpp"

namespace directord::healthcheck {

namespace {
// Every watch of a directory shares its inotify mask, so it covers both kinds of watch.
constexpr std::uint32_t kDirectoryMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                         IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
// A new file is empty until its writer is done: content watchers wait for IN_CLOSE_WRITE.
constexpr std::uint32_t kContentChange = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
constexpr std::uint32_t kEverything = IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF;
}  // namespace

FileWatch::FileWatch(boost::asio::io_context& io) : inotify_(io) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) throw errno_error("create", "inotify instance");
    inotify_.assign(fd);
    read();
}

bool FileWatch::exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

int FileWatch::watch(const std::string& path, Handler handler) {
    return add(path, std::move(handler), false);
}

int FileWatch::watch_content(const std::string& path, std::function<void()> handler) {
    return add(
        path, [handler = std::move(handler)](bool) { handler(); }, true);
}

int FileWatch::add(const std::string& path, Handler handler, bool content) {
    std::filesystem::path p(path);
    std::string dir = p.parent_path().string();
    int wd = inotify_add_watch(inotify_.native_handle(), dir.c_str(), kDirectoryMask);
    if (wd < 0) throw errno_error("watch directory", dir);
    int id = next_id_++;
    watches_[id] =
        Watch{wd, path, p.filename().string(), std::move(handler), exists(path), content};
    return id;
}

void FileWatch::unwatch(int id) {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    int wd = it->second.wd;
    watches_.erase(it);
    for (const auto& [other, w] : watches_)
        if (w.wd == wd) return;  // the directory is still watched for another file
    inotify_rm_watch(inotify_.native_handle(), wd);
}

void FileWatch::read() {
    inotify_.async_read_some(
        boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
            if (ec == boost::asio::error::operation_aborted) return;
            for (std::size_t at = 0; !ec && at + sizeof(inotify_event) <= n;) {
                auto* event = reinterpret_cast<const inotify_event*>(buffer_.data() + at);
                if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
                    log::warning(
                        "watched directory of {} was removed: its files now count as absent", [&] {
                            for (const auto& [id, w] : watches_)
                                if (w.wd == event->wd) return w.path;
                            return std::string("?");
                        }());
                recheck(event->wd, event->len ? event->name : "", event->mask);
                at += sizeof(inotify_event) + event->len;
            }
            read();
        });
}

void FileWatch::recheck(int wd, const std::string& name, std::uint32_t mask) {
    const bool all = mask & kEverything;
    std::vector<int> ids;
    for (const auto& [id, w] : watches_)
        if (all || (w.wd == wd && w.name == name)) ids.push_back(id);
    for (int id : ids) {
        auto it = watches_.find(id);  // an earlier handler may have unwatched it
        if (it == watches_.end()) continue;
        Watch& w = it->second;
        bool now = exists(w.path);
        bool tell = w.content ? all || (mask & kContentChange) : now != w.last;
        w.last = now;
        if (!tell) continue;
        auto handler = w.handler;
        handler(now);
    }
}

}  // namespace directord::healthcheck
