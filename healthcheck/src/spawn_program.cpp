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

// What the child could not do before exec; written by the child into the parent's memory,
// which vfork shares until the child execs or exits.
struct Failure {
    int step = -1;  // 0: redirecting its output, 1: changing user, 2: exec
    int error = 0;
};

// The child's side, between vfork and exec: the calls posix_spawn's child makes, credentials
// changed by raw system calls (glibc's wrappers would signal threads the child does not have).
[[noreturn]] void become(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                         const config::RunAs& as, Failure& failure) {
    int step = 0;
    auto check = [&](bool ok) {
        if (ok) return;
        failure = {step, errno};
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

// vfork, like posix_spawn underneath: the daemon's page tables are not copied, so a program's
// start costs the loop the same whatever the daemon's size; the parent resumes at the exec.
Spawned spawn_as_other(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                       const config::RunAs& as) {
    Failure failure;
    pid_t pid = vfork();
    if (pid == 0) become(argv, env, output, as, failure);
    if (pid < 0) return {-1, fmt::format("vfork: {}", std::strerror(errno))};
    if (failure.step < 0) return {pid, {}};
    waitpid(pid, nullptr, 0);
    auto step = failure.step == 1   ? fmt::format("run as uid {} gid {}", as.uid, as.gid)
                : failure.step == 2 ? std::string(argv[0])
                                    : std::string("redirecting its output");
    return {-1, fmt::format("{}: {}", step, std::strerror(failure.error))};
}

}  // namespace

Spawned spawn_program(const std::vector<char*>& argv, const std::vector<char*>& env, int output,
                      const config::RunAs& as) {
    if (as.uid == geteuid() && as.gid == getegid()) return spawn_as_self(argv, env, output);
    return spawn_as_other(argv, env, output, as);
}

}  // namespace directord::healthcheck
