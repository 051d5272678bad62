#pragma once
// Files watched with inotify on their directory, so creation, removal and renames are seen at
// once: whether a file exists (the maintenance down-file, tracked files), or every completed
// change of its content (file checks: a write is seen when the writer closes the file).
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace directord::healthcheck {

class FileWatch {
  public:
    using Handler = std::function<void(bool exists)>;

    explicit FileWatch(boost::asio::io_context& io);  // throws IoError
    FileWatch(const FileWatch&) = delete;
    FileWatch& operator=(const FileWatch&) = delete;

    // Calls `handler` whenever `path` starts or stops existing. Throws IoError if the
    // directory cannot be watched. Returns an id for unwatch().
    int watch(const std::string& path, Handler handler);
    // Calls `handler` after each change of `path`: written and closed, renamed into place,
    // removed, or possibly changed (the kernel's event queue overflowed). Throws IoError.
    int watch_content(const std::string& path, std::function<void()> handler);
    void unwatch(int id);
    static bool exists(const std::string& path);

  private:
    struct Watch {
        int wd;
        std::string path;
        std::string name;  // file name inside the watched directory
        Handler handler;
        bool last;     // existed at the last look
        bool content;  // told of every change, not only of existence
    };
    int add(const std::string& path, Handler handler, bool content);
    void read();
    void recheck(int wd, const std::string& name, std::uint32_t mask);

    boost::asio::posix::stream_descriptor inotify_;
    alignas(std::uint32_t) std::array<char, 4096> buffer_{};
    std::map<int, Watch> watches_;
    int next_id_ = 1;
};

}  // namespace directord::healthcheck
