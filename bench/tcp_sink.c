// Loopback listeners for the check benchmark: accepts and closes every connection on
// BASE_PORT .. BASE_PORT+PORTS-1 and prints the running total of accepted connections
// ten times a second ("accepted N").
//   tcp_sink PORTS BASE_PORT
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORTS BASE_PORT\n", argv[0]);
        return 2;
    }
    int ports = atoi(argv[1]), base_port = atoi(argv[2]);
    int ep = epoll_create1(0);
    for (int p = 0; p < ports; ++p) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)(base_port + p))};
        if (bind(fd, (struct sockaddr*)&sa, sizeof sa) || listen(fd, 4096)) {
            perror("listen");
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long accepted = 0;
    long last_tenth = 0;
    struct epoll_event events[64];
    for (;;) {
        int count = epoll_wait(ep, events, 64, 20);
        for (int k = 0; k < count; ++k) {
            int fd;
            while ((fd = accept4(events[k].data.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
                close(fd);
                ++accepted;
            }
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long tenth = now.tv_sec * 10 + now.tv_nsec / 100000000;
        if (tenth != last_tenth) {
            last_tenth = tenth;
            printf("accepted %ld\n", accepted);
        }
    }
}
