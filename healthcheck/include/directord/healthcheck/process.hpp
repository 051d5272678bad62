#pragma once
// Runs a program (argv, no shell) without blocking the event loop: posix_spawn into a
// process group of its own, exit observed through a pidfd, output read from a pipe,
// and the whole group killed when the timeout expires.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "directord/config/model.hpp"

namespace directord::healthcheck {

struct ProcessResult {
    bool started = false;  // false: spawn failed, see `error`
    int exit_code = -1;    // valid when exited normally
    int signal = 0;        // the signal that ended it, if any
    bool timed_out = false;
    std::string output;      // stdout+stderr, cut at the slot's limit, made printable UTF-8
    std::size_t cut_at = 0;  // the slot's limit, when the program printed more; 0: kept whole
    std::string error;
    std::chrono::microseconds elapsed{0};

    bool success() const { return started && !timed_out && signal == 0 && exit_code == 0; }
    bool truncated() const { return cut_at != 0; }
    // "exit 1", "killed by signal 9", "timed out after 1s", "spawn failed: ...", followed by
    // ", printed more than 4096 bytes" when the output was cut.
    std::string describe() const;
    // describe() and, when the program failed, the first line it printed: "exit 1: no table".
    std::string reason() const;
};

// What a check, hook or track script may print: its first line goes into a log line.
inline constexpr std::size_t kMaxOutput = 4096;
// Every program's environment, before the variables of its event.
inline constexpr const char* kProgramEnvironment[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};

using ProcessHandler = std::function<void(const ProcessResult&)>;

class Process;

// Owns at most one running child. Destroying it kills the child's process group.
class ProcessSlot {
  public:
    // `max_output`: the bytes of output kept, the rest read and dropped.
    explicit ProcessSlot(boost::asio::io_context& io, std::size_t max_output = kMaxOutput)
        : io_(io), max_output_(max_output) {}
    ~ProcessSlot();
    ProcessSlot(const ProcessSlot&) = delete;
    ProcessSlot& operator=(const ProcessSlot&) = delete;

    bool busy() const;
    // Starts argv as `as` with `extra_env` ("NAME=value") added to the environment. Returns
    // false (and does not call `done`) if a previous run is still outstanding: scripts never
    // pile up.
    bool start(const config::RunAs& as, const std::vector<std::string>& argv,
               const std::vector<std::string>& extra_env, std::chrono::microseconds timeout,
               ProcessHandler done);

  private:
    boost::asio::io_context& io_;
    std::size_t max_output_;
    std::shared_ptr<Process> running_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted reports
};

}  // namespace directord::healthcheck
