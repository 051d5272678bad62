#include "directord/vrrp/file_watch.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <filesystem>

#include "directord/log.hpp"
#include "directord/vrrp/io_error.hpp"

namespace directord::vrrp {

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
    std::filesystem::path p(path);
    std::string dir = p.parent_path().string();
    int wd = inotify_add_watch(
        inotify_.native_handle(), dir.c_str(),
        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd < 0) throw errno_error("watch directory", dir);
    directory_wd_[dir] = wd;
    int id = next_id_++;
    watches_[id] = Watch{wd, path, p.filename().string(), std::move(handler), exists(path)};
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
    std::erase_if(directory_wd_, [wd](const auto& entry) { return entry.second == wd; });
}

void FileWatch::read() {
    inotify_.async_read_some(
        boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
            if (ec == boost::asio::error::operation_aborted) return;
            for (std::size_t at = 0; !ec && at + sizeof(inotify_event) <= n;) {
                auto* event = reinterpret_cast<const inotify_event*>(buffer_.data() + at);
                bool overflow = event->mask & IN_Q_OVERFLOW;
                bool directory_gone = event->mask & (IN_DELETE_SELF | IN_MOVE_SELF);
                if (directory_gone)
                    log::warning(
                        "watched directory of {} was removed: its files now count as absent", [&] {
                            for (const auto& [id, w] : watches_)
                                if (w.wd == event->wd) return w.path;
                            return std::string("?");
                        }());
                recheck(event->wd, event->len ? event->name : "", overflow || directory_gone);
                at += sizeof(inotify_event) + event->len;
            }
            read();
        });
}

void FileWatch::recheck(int wd, const std::string& name, bool all) {
    std::vector<int> ids;
    for (const auto& [id, w] : watches_)
        if (all || (w.wd == wd && w.name == name)) ids.push_back(id);
    for (int id : ids) {
        auto it = watches_.find(id);
        if (it == watches_.end()) continue;
        bool now = exists(it->second.path);
        if (now == it->second.last) continue;
        it->second.last = now;
        auto handler = it->second.handler;
        handler(now);
    }
}

}  // namespace directord::vrrp
