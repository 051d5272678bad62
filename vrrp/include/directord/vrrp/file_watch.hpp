#pragma once
// Existence of files (the maintenance down-file), watched with inotify on their
// directory so creation, removal and renames are seen at once.
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <string>

namespace directord::vrrp {

class FileWatch {
  public:
    using Handler = std::function<void(bool exists)>;

    explicit FileWatch(boost::asio::io_context& io);  // throws IoError
    FileWatch(const FileWatch&) = delete;
    FileWatch& operator=(const FileWatch&) = delete;

    // Calls `handler` whenever `path` starts or stops existing. Throws IoError if the
    // directory cannot be watched. Returns an id for unwatch().
    int watch(const std::string& path, Handler handler);
    void unwatch(int id);
    static bool exists(const std::string& path);

  private:
    struct Watch {
        int wd;
        std::string path;
        std::string name;  // file name inside the watched directory
        Handler handler;
        bool last;
    };
    void read();
    void recheck(int wd, const std::string& name, bool all);

    boost::asio::posix::stream_descriptor inotify_;
    std::array<char, 4096> buffer_{};
    std::map<int, Watch> watches_;
    std::map<std::string, int> directory_wd_;
    int next_id_ = 1;
};

}  // namespace directord::vrrp
