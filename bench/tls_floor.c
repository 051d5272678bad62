// The floor for directord's HTTPS checks: the least a program can do to run the same probes
// with the same OpenSSL. One epoll loop, N targets, each probed once per interval (first runs
// spread evenly): non-blocking connect, a TLS handshake from one shared context without
// verification that resumes the target's last session, "GET /", the answer read to its end,
// the new session kept, close. A probe still running at its target's next turn counts as
// failed. The first interval (full handshakes) is not measured.
//   tls_floor N INTERVAL_MS SECONDS PORTS BASE_PORT
// Targets are 127.0.(1 + i / 250).(1 + i % 250) : BASE_PORT + i % PORTS, like bench/https.sh's.
// Prints one line: probes=.. ok=.. resumed=.. seconds=.. cpu_user=.. cpu_sys=..
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

struct target {
    struct sockaddr_in address;
    SSL_SESSION* session;  // resumed by the next probe
    SSL* tls;              // the probe running, if any
    int fd;
    int connected, sent;
    char request[160];
    size_t received;
    char head[16];  // the answer's first bytes: "HTTP/1.0 200"
};

static long probes, ok, resumed;

// Ends the target's probe; `good` when the answer was read whole with status 200.
static void finish(struct target* t, int good) {
    if (good) {
        resumed += SSL_session_reused(t->tls);
        SSL_SESSION* session = SSL_get1_session(t->tls);
        if (session && SSL_SESSION_is_resumable(session)) {
            SSL_SESSION_free(t->session);
            t->session = session;
        } else {
            SSL_SESSION_free(session);
        }
        // Closed without close_notify, OpenSSL would mark the session not resumable.
        SSL_set_shutdown(t->tls, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    SSL_free(t->tls);
    ERR_clear_error();  // what a close without close_notify left would answer the next probe
    close(t->fd);       // also leaves the epoll set
    t->tls = NULL;
    ++probes;
    ok += good;
}

// Drives the probe as far as the socket allows: 1 once the answer was read whole with status
// 200, -1 on a failure, 0 while it waits for `want`.
static int step(struct target* t, uint32_t* want) {
    if (!t->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return -1;
        t->connected = 1;
    }
    for (;;) {
        int n;
        if (!SSL_is_init_finished(t->tls)) {
            if ((n = SSL_connect(t->tls)) == 1) continue;
        } else if (!t->sent) {
            if ((n = SSL_write(t->tls, t->request, (int)strlen(t->request))) > 0) {
                t->sent = 1;
                continue;
            }
        } else {
            char buffer[4096];
            if ((n = SSL_read(t->tls, buffer, sizeof buffer)) > 0) {
                size_t room = sizeof t->head - 1 - t->received;
                memcpy(t->head + t->received, buffer, (size_t)n < room ? (size_t)n : room);
                t->received += (size_t)n < room ? (size_t)n : room;
                continue;
            }
            int error = SSL_get_error(t->tls, n);
            if (error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL ||
                error == SSL_ERROR_SSL)  // the end: close_notify, or a close without it
                return strncmp(t->head, "HTTP/1.0 200", 12) == 0 ? 1 : -1;
        }
        int error = SSL_get_error(t->tls, n);
        if (error == SSL_ERROR_WANT_READ)
            *want = EPOLLIN;
        else if (error == SSL_ERROR_WANT_WRITE)
            *want = EPOLLOUT;
        else
            return -1;
        return 0;
    }
}

int main(int argc, char** argv) {
    struct floor_args a;
    if (!floor_args(argc, argv, &a)) return 2;
    const long n = a.n;
    int ep = epoll_create1(0);
    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    struct target* targets = calloc((size_t)n, sizeof *targets);
    if (ep < 0 || !context || !targets) return 2;
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
    for (long i = 0; i < n; ++i) {
        struct target* t = &targets[i];
        t->address.sin_family = AF_INET;
        t->address.sin_port = htons((uint16_t)(a.base_port + i % a.ports));
        t->address.sin_addr.s_addr =
            htonl(0x7f000000u | (uint32_t)(1 + i / 250) << 8 | (uint32_t)(1 + i % 250));
        snprintf(t->request, sizeof t->request,
                 "GET / HTTP/1.1\r\nHost: 127.0.%ld.%ld:%ld\r\nUser-Agent: floor\r\n"
                 "Accept: */*\r\nConnection: close\r\n\r\n",
                 1 + i / 250, 1 + i % 250, a.base_port + i % a.ports);
    }

    long started = 0;
    double start = now(), measured = start + a.interval, end = measured + a.seconds;
    struct rusage before = {0};
    int measuring = 0;
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        if (!measuring && t >= measured) {
            measuring = 1;
            probes = ok = resumed = 0;
            getrusage(RUSAGE_SELF, &before);
        }
        // Start every probe whose slot has come: probe number s is due at start + s*interval/n.
        while (start + started * a.interval / n <= t) {
            struct target* target = &targets[started++ % n];
            if (target->tls) finish(target, 0);  // still running: it failed
            target->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (target->fd < 0) continue;
            if (connect(target->fd, (struct sockaddr*)&target->address, sizeof target->address) &&
                errno != EINPROGRESS) {
                close(target->fd);
                ++probes;
                continue;
            }
            target->tls = SSL_new(context);
            SSL_set_fd(target->tls, target->fd);
            if (target->session) SSL_set_session(target->tls, target->session);
            target->connected = target->sent = 0;
            target->received = 0;
            memset(target->head, 0, sizeof target->head);
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = target};
            epoll_ctl(ep, EPOLL_CTL_ADD, target->fd, &ev);
        }
        if (t >= end) break;
        double wait = start + started * a.interval / n - t;
        int count = epoll_wait(ep, events, 256, (int)(wait * 1000) + 1);
        for (int k = 0; k < count; ++k) {
            struct target* target = events[k].data.ptr;
            uint32_t want = 0;
            int result = step(target, &want);
            if (result) {
                finish(target, result > 0);
            } else {
                struct epoll_event ev = {.events = want, .data.ptr = target};
                epoll_ctl(ep, EPOLL_CTL_MOD, target->fd, &ev);
            }
        }
    }
    struct rusage after;
    getrusage(RUSAGE_SELF, &after);
    printf("probes=%ld ok=%ld resumed=%ld seconds=%.3f cpu_user=%.3f cpu_sys=%.3f\n", probes, ok,
           resumed, now() - measured, cpu_seconds(&after.ru_utime) - cpu_seconds(&before.ru_utime),
           cpu_seconds(&after.ru_stime) - cpu_seconds(&before.ru_stime));
    return 0;
}
