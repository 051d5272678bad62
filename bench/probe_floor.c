// The floor for directord's TCP checks: the least a program can do to run the same probes.
// One epoll loop, N targets, each probed once per interval (first runs spread evenly):
// non-blocking connect, wait for writability, read SO_ERROR, close with RST (as directord).
//   probe_floor N INTERVAL_MS SECONDS PORTS BASE_PORT
// Targets are 127.0.0.(1 + i / PORTS) : BASE_PORT + i % PORTS, like bench/checks.sh's config.
// Prints one line: probes=.. ok=.. seconds=.. cpu_user=.. cpu_sys=..
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

int main(int argc, char** argv) {
    struct floor_args args;
    if (!floor_args(argc, argv, &args)) return 2;
    long n = args.n, ports = args.ports, base_port = args.base_port;
    double interval = args.interval, seconds = args.seconds;
    int ep = epoll_create1(0);
    if (ep < 0) return 2;

    long probes = 0, ok = 0, started = 0;
    double start = now(), end = start + seconds;
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        // Start every probe whose slot has come: probe number s is due at start + s*interval/n.
        while (start + started * interval / n <= t) {
            long i = started++ % n;
            struct sockaddr_in sa = {.sin_family = AF_INET,
                                     .sin_port = htons((uint16_t)(base_port + i % ports))};
            sa.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(i / ports));
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) continue;
            if (connect(fd, (struct sockaddr*)&sa, sizeof sa) == 0 || errno == EINPROGRESS) {
                struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            } else {
                ++probes;
                close(fd);
            }
        }
        if (t >= end) break;
        double wait = start + started * interval / n - t;
        int timeout_ms = (int)(wait * 1000) + 1;
        int count = epoll_wait(ep, events, 256, timeout_ms);
        for (int k = 0; k < count; ++k) {
            int fd = events[k].data.fd, err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            struct linger reset = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            close(fd);
            ++probes;
            if (!err) ++ok;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("probes=%ld ok=%ld seconds=%.3f cpu_user=%.3f cpu_sys=%.3f\n", probes, ok, now() - start,
           cpu_seconds(&ru.ru_utime), cpu_seconds(&ru.ru_stime));
    return 0;
}
