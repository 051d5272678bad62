#include "spawn_program.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace directord::healthcheck {
namespace {

// As the daemon is: posix_spawn, which does not copy the daemon's page tables.
Spawned spawn_as_self(const std::vector<char*>& argv, const std::vector<char*>& env, int output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, output, 1);
    posix_spawn_file_actions_adddup2(&actions, output, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    Spawned spawned;
    int rc = posix_spawn(&spawned.pid, argv[0], &actions, &attr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        spawned.pid = -1;
        spawned.error = fmt::format("{}: {}", argv[0], std::strerror(rc));
    }
    return spawned;
}

// The child's side, between fork and exec: async-signal-safe calls only, credentials changed
// by raw system calls (glibc's wrappers would signal threads the child does not have). What
// failed is written to `report` as a step number and an errno.
[[noreturn]] void become(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                         int report, const config::RunAs& as) {
    int step = 0;
    auto check = [&](bool ok) {
        if (ok) return;
        int what[2] = {step, errno};
        [[maybe_unused]] auto n = write(report, what, sizeof what);
        _exit(127);
    };
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    check(null >= 0 && dup2(null, 0) == 0 && dup2(output, 1) == 1 && dup2(output, 2) == 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
    step = 1;
    check(syscall(SYS_setgroups, 0, nullptr) == 0 &&
          syscall(SYS_setresgid, as.gid, as.gid, as.gid) == 0 &&
          syscall(SYS_setresuid, as.uid, as.uid, as.uid) == 0);
    step = 2;
    execve(argv[0], argv.data(), env.data());
    check(false);
    _exit(127);
}

Spawned spawn_as_other(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                       const config::RunAs& as) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return {-1, fmt::format("pipe: {}", std::strerror(errno))};
    pid_t pid = fork();
    if (pid == 0) become(argv, env, output, fds[1], as);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return {-1, fmt::format("fork: {}", std::strerror(errno))};
    }
    setpgid(pid, pid);  // also here: the parent may kill the group before the child runs
    // Closed at exec (nothing to read) or carrying what failed; exec follows fork at once.
    int what[2] = {0, 0};
    ssize_t n;
    do n = read(fds[0], what, sizeof what);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n <= 0) return {pid, {}};
    waitpid(pid, nullptr, 0);
    auto step = what[0] == 1   ? fmt::format("run as uid {} gid {}", as.uid, as.gid)
                : what[0] == 2 ? std::string(argv[0])
                               : std::string("redirecting its output");
    return {-1, fmt::format("{}: {}", step, std::strerror(what[1]))};
}

}  // namespace

Spawned spawn_program(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                      const config::RunAs& as) {
    if (as.uid == geteuid() && as.gid == getegid()) return spawn_as_self(argv, env, output);
    return spawn_as_other(argv, env, output, as);
}

}  // namespace directord::healthcheck
