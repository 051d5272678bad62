#include "directord/config/settled_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace directord::config {
namespace {

using Clock = std::chrono::system_clock;  // file times are wall-clock times

struct Identity {
    struct stat st {};
    bool operator==(const Identity& o) const {
        auto same = [](const timespec& a, const timespec& b) {
            return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
        };
        return st.st_dev == o.st.st_dev && st.st_ino == o.st.st_ino && st.st_size == o.st.st_size &&
               same(st.st_mtim, o.st.st_mtim) && same(st.st_ctim, o.st.st_ctim);
    }
    Clock::time_point modified() const {
        return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    }
};

bool identify(const std::string& path, Identity& id) { return stat(path.c_str(), &id.st) == 0; }

}  // namespace

std::variant<std::string, SettledFileError> read_settled_file(const std::string& path,
                                                              std::chrono::milliseconds quiet,
                                                              std::chrono::milliseconds patience) {
    auto give_up = std::chrono::steady_clock::now() + patience;
    while (true) {
        Identity before, after;
        if (!identify(path, before)) return SettledFileError{"cannot open file"};
        auto age = Clock::now() - before.modified();
        if (age >= quiet || age < -quiet) {  // (a clock set back leaves an mtime in the future)
            std::ifstream in(path);
            if (!in) return SettledFileError{"cannot open file"};
            std::stringstream buffer;
            buffer << in.rdbuf();
            std::string text = buffer.str();
            if (identify(path, after) && after == before &&
                text.size() == static_cast<std::size_t>(before.st.st_size))
                return text;
        }
        if (std::chrono::steady_clock::now() >= give_up)
            return SettledFileError{"kept changing while it was read; try again"};
        std::this_thread::sleep_for(std::min(quiet, std::chrono::milliseconds(50)));
    }
}

}  // namespace directord::config
