#include "directord/healthcheck/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <optional>

#include "directord/duration.hpp"
#include "directord/text.hpp"
#include "spawn_program.hpp"

namespace directord::healthcheck {

std::string ProcessResult::describe() const {
    if (!started) return fmt::format("spawn failed: {}", error);
    auto cut = truncated() ? fmt::format(", printed more than {} bytes", cut_at) : std::string();
    if (timed_out) return fmt::format("timed out after {}{}", format_duration(elapsed), cut);
    if (signal) return fmt::format("killed by signal {}{}", signal, cut);
    return fmt::format("exit {}{}", exit_code, cut);
}

std::string ProcessResult::reason() const {
    if (success() || output.empty()) return describe();
    return describe() + ": " + output.substr(0, output.find('\n'));
}

namespace {

// Closes a file descriptor on scope exit unless released.
struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

// How the child ended: its exit code, or the signal that ended it.
struct Ended {
    bool exited;
    int status;
};
std::optional<Ended> reap(int pidfd) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0) return std::nullopt;
    return Ended{info.si_code == CLD_EXITED, info.si_status};
}

}  // namespace

class Process : public std::enable_shared_from_this<Process> {
  public:
    Process(boost::asio::io_context& io, std::size_t max_output)
        : output_pipe_(io), exit_fd_(io), timer_(io), reap_retry_(io), max_output_(max_output) {}

    bool spawn(const config::RunAs& as, const std::vector<std::string>& argv,
               const std::vector<std::string>& extra_env, std::string& error) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            error = fmt::format("pipe: {}", std::strerror(errno));
            return false;
        }
        FdGuard read_end{fds[0]}, write_end{fds[1]};
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        // Nothing of the daemon's own environment (NOTIFY_SOCKET, credentials of whoever
        // started it): a fixed PATH and locale, and the variables of the event.
        std::vector<char*> env;
        for (const char* e : kProgramEnvironment) env.push_back(const_cast<char*>(e));
        for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
        env.push_back(nullptr);

        auto spawned = spawn_program(args, env, write_end.fd, as);
        if (spawned.pid < 0) {
            error = std::move(spawned.error);
            return false;
        }
        pid_ = spawned.pid;
        int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
        if (pidfd < 0) {
            error = fmt::format("pidfd_open: {}", std::strerror(errno));
            kill(-pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            return false;
        }
        exit_fd_.assign(pidfd);
        output_pipe_.assign(read_end.release());
        output_pipe_.non_blocking(true);
        started_at_ = std::chrono::steady_clock::now();
        return true;
    }

    void watch(std::chrono::microseconds timeout, ProcessHandler done) {
        done_ = std::move(done);
        auto self = shared_from_this();
        exit_fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [self](const boost::system::error_code& ec) {
                                if (!ec) self->on_exit();
                            });
        read_output();
        timer_.expires_after(timeout);
        timer_.async_wait([self](const boost::system::error_code& ec) {
            if (ec || self->exited_) return;
            self->result_.timed_out = true;
            kill(-self->pid_, SIGKILL);
        });
    }

    // The owner is gone: kill the group, keep reaping, report nothing.
    void abandon() {
        done_ = nullptr;
        if (!exited_) kill(-pid_, SIGKILL);
    }

    bool finished() const { return finished_; }

  private:
    void read_output() {
        reading_ = true;
        auto self = shared_from_this();
        output_pipe_.async_read_some(boost::asio::buffer(buffer_),
                                     [self](const boost::system::error_code& ec, std::size_t n) {
                                         self->reading_ = false;
                                         if (!ec) self->append(n);
                                         if (self->exited_) return self->finish();
                                         if (!ec) self->read_output();  // else EOF
                                     });
    }

    void append(std::size_t n) {
        auto room = max_output_ - std::min(max_output_, result_.output.size());
        if (n > room) result_.cut_at = max_output_;
        result_.output.append(buffer_.data(), std::min(n, room));
    }

    void on_exit() {
        auto ended = reap(exit_fd_.native_handle());
        if (!ended && (errno == EAGAIN || errno == EINTR)) {
            // The pidfd turns readable as the program exits, a moment before it can be reaped
            // (seen under load: the wait then never ended). The wake-up has passed: look again.
            reap_retry_.expires_after(std::chrono::milliseconds(1));
            reap_retry_.async_wait(
                [self = shared_from_this()](const boost::system::error_code& ec) {
                    if (!ec) self->on_exit();
                });
            return;
        }
        if (!ended) result_.error = fmt::format("waitid: {}", std::strerror(errno));
        exited_ = true;
        timer_.cancel();
        // What it left running in the background goes with it: a check or hook that forks a
        // daemon would otherwise leave one more process behind on every run. (The group id
        // is not reused while a member of the group lives.)
        kill(-pid_, SIGKILL);
        result_.started = ended.has_value();
        result_.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started_at_);
        if (ended) (ended->exited ? result_.exit_code : result_.signal) = ended->status;
        // A read may have taken bytes into buffer_ in the same turn, its handler still
        // queued: it finishes, after it has kept them (cancel leaves a completed read as it is).
        boost::system::error_code ec;
        if (reading_)
            output_pipe_.cancel(ec);
        else
            finish();
    }

    // Takes what is already in the pipe (a grandchild holding it open must not delay us)
    // and reports.
    void finish() {
        boost::system::error_code ec;
        std::size_t n;
        while ((n = output_pipe_.read_some(boost::asio::buffer(buffer_), ec)) > 0 && !ec) append(n);
        output_pipe_.close(ec);
        exit_fd_.close(ec);
        if (!text::is_printable(result_.output)) result_.output = text::printable(result_.output);
        finished_ = true;
        if (done_) std::exchange(done_, nullptr)(result_);
    }

    boost::asio::posix::stream_descriptor output_pipe_;
    boost::asio::posix::stream_descriptor exit_fd_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer reap_retry_;
    ProcessHandler done_;
    ProcessResult result_;
    std::size_t max_output_;
    pid_t pid_ = -1;
    bool reading_ = false;   // a read of the pipe is outstanding
    bool exited_ = false;    // reaped
    bool finished_ = false;  // reported
    std::chrono::steady_clock::time_point started_at_;
    std::array<char, 1024> buffer_{};
};

ProcessSlot::~ProcessSlot() {
    if (running_) running_->abandon();
}

bool ProcessSlot::busy() const { return running_ && !running_->finished(); }

bool ProcessSlot::start(const config::RunAs& as, const std::vector<std::string>& argv,
                        const std::vector<std::string>& extra_env,
                        std::chrono::microseconds timeout, ProcessHandler done) {
    if (busy()) return false;
    auto process = std::make_shared<Process>(io_, max_output_);
    ProcessResult failed;
    if (argv.empty()) failed.error = "empty command";
    if (argv.empty() || !process->spawn(as, argv, extra_env, failed.error)) {
        running_.reset();
        // Reported asynchronously, like every other outcome, so callers have one code path.
        boost::asio::post(io_,
                          [alive = std::weak_ptr<bool>(alive_), done = std::move(done), failed] {
                              if (alive.lock()) done(failed);
                          });
        return true;
    }
    running_ = process;
    process->watch(timeout, std::move(done));
    return true;
}

}  // namespace directord::healthcheck
