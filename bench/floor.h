// What the floors (probe_floor.c, tls_floor.c) share: their arguments, the clock, CPU time.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

struct floor_args {
    long n, ports, base_port;
    double interval, seconds;
};

// N INTERVAL_MS SECONDS PORTS BASE_PORT; 0 (after the usage) when they are not that.
static inline int floor_args(int argc, char** argv, struct floor_args* out) {
    if (argc == 6) {
        *out = (struct floor_args){.n = atol(argv[1]),
                                   .ports = atol(argv[4]),
                                   .base_port = atol(argv[5]),
                                   .interval = atol(argv[2]) / 1000.0,
                                   .seconds = atof(argv[3])};
        if (out->n > 0 && out->ports > 0 && out->interval > 0) return 1;
    }
    fprintf(stderr, "usage: %s N INTERVAL_MS SECONDS PORTS BASE_PORT\n", argv[0]);
    return 0;
}

static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double cpu_seconds(const struct timeval* tv) {
    return tv->tv_sec + tv->tv_usec / 1e6;
}
