#!/usr/bin/env bash
# HTTPS check cost: N HTTPS checks (no verification, as most farms run them) at 1 s against
# 4 openssl s_server processes on loopback in a lab namespace; directord's CPU per probe over
# a window (probes: its own directord_check_duration_seconds_count), the servers' CPU per probe,
# directord's memory, loop lag and longest turns of check work in the window (the start-up's
# full handshakes left out); then the floor: the same probes by bench/tls_floor.c (one
# epoll loop, the same OpenSSL, sessions resumed alike); then "reused": the same checks with
# reuse_connection against 4 keep-alive HTTPS servers (socat, a shell answering each request),
# one connection per check for the whole window (their CPU, short runs of hundreds of processes,
# is below the clock tick's resolution: not printed). With BASELINE=FILE another directord binary
# (an earlier build) runs the first load in the same run, printed beside it. Prints a table;
# not a test. Run as root after a build.
#   [BASELINE=old/directord] bench/https.sh [N...]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-200}")
BUILD=${BUILD:-$PWD/build}
export DIRECTORD=${DIRECTORD:-$BUILD/daemon/directord}
export DIRECTORCTL=${DIRECTORCTL:-$BUILD/daemon/directorctl}
for tool in "$DIRECTORD" "$BUILD/bench/tls_floor"; do
    [ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 2; }
done
. scripts/lab.sh
SERVER_PIDS=() SERVERS=4 BASE_PORT=24400 KEEP_BASE_PORT=24500 WINDOW=${WINDOW:-10} METRICS=127.0.0.1:9477
lab_up 1
D1=$(ns d1)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench.test \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
for ((s = 0; s < SERVERS; s++)); do
    # every address of the namespace's 127.0.0.0/8 reaches it
    ip netns exec "$D1" openssl s_server -quiet -www -accept "$((BASE_PORT + s))" \
        -cert "$WORK/cert.pem" -key "$WORK/key.pem" </dev/null >/dev/null 2>&1 &
    LAB_PIDS+=($!) SERVER_PIDS+=($!)
done
# HTTP/1.1 keep-alive: one answer per request, the connection left open.
printf '%s\n' 'while IFS= read -r line; do' \
    '[ -n "${line%$'"'"'\r'"'"'}" ] || printf "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"' \
    'done' >"$WORK/keep_alive.sh"
for ((s = 0; s < SERVERS; s++)); do
    listen="OPENSSL-LISTEN:$((KEEP_BASE_PORT + s)),reuseaddr,fork,backlog=1024,verify=0"
    ip netns exec "$D1" socat "$listen,cert=$WORK/cert.pem,key=$WORK/key.pem" \
        SYSTEM:"bash $WORK/keep_alive.sh" </dev/null >/dev/null 2>&1 &
    LAB_PIDS+=($!)
done

config_for() {  # N BASE_PORT [reuse]: one VRRP instance, N real servers checked by HTTPS at 1 s
    local n=$1 base=$2 reuse=${3:+, reuse_connection: true} i
    echo "control: { metrics: $METRICS }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml vi eth0 51 150 "$VIP"
    echo "virtual_servers:"
    echo "  - name: web"
    echo "    address: 10.99.1.1:443"
    echo "    check: { http: { tls: true, verify: false$reuse }, interval: 1s, timeout: 1s }"
    echo "    real_servers:"
    for ((i = 0; i < n; i++)); do
        # distinct addresses (127.0.x.y) so that every check probes on its own
        printf '      - { address: 127.0.%d.%d:%d }\n' $((1 + i / 250)) $((1 + i % 250)) \
            $((base + i % SERVERS))
    done
}
probes() {
    ip netns exec "$D1" curl -s "http://$METRICS/metrics" |
        awk '/^directord_check_duration_seconds_count/ { n += $2 } END { print n + 0 }'
}
window_edge() {  # 0|1: the loop lag and check turn histograms at the window's start or end
    buckets "$D1" "$METRICS" directord_loop_lag_seconds >"$WORK/lag$1"
    buckets "$D1" "$METRICS" directord_check_turn_seconds >"$WORK/turn$1"
}
TICK=$(getconf CLK_TCK)
run() {  # LABEL BINARY N [reuse]
    local label=$1 binary=$2 n=$3 reuse=${4:-} pid c0 c1 s0 s1 sc p0 p1 t0 t1 lag rss
    config_for "$n" "$([ -n "$reuse" ] && echo "$KEEP_BASE_PORT" || echo "$BASE_PORT")" $reuse \
        >"$WORK/https.yaml"
    : >"$WORK/d1.log"
    DIRECTORD=$binary start d1 "$WORK/https.yaml"
    pid=${NODE_PID[d1]}
    expect_log d1 "health checks: $n monitors" 30
    sleep 3
    window_edge 0
    c0=$(cpu_ticks "$pid") s0=$(cpu_ticks "${SERVER_PIDS[@]}") p0=$(probes) t0=$EPOCHREALTIME
    sleep "$WINDOW"
    c1=$(cpu_ticks "$pid") s1=$(cpu_ticks "${SERVER_PIDS[@]}") p1=$(probes) t1=$EPOCHREALTIME
    window_edge 1
    lag="$(buckets_between "$WORK/lag0" "$WORK/lag1"), turns $(buckets_between "$WORK/turn0" "$WORK/turn1")"
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    stop d1
    sc=$((s1 - s0))
    [ -z "$reuse" ] || sc=-
    awk -v l="$label" -v n="$n" -v c="$((c1 - c0))" -v hz="$TICK" -v p="$((p1 - p0))" -v t0="$t0" -v sc="$sc" \
        -v t1="$t1" -v lag="$lag" -v rss="$rss" 'BEGIN { s = t1 - t0; cpu = c / hz
        server = sc == "-" ? "-" : sprintf("%.1f", p ? 1e6 * sc / hz / p : 0)
        printf "%-10s %6d %9.0f %7.1f%% %10.1f %10s %8.1f  %s\n", l, n, p / s, 100 * cpu / s, p ? 1e6 * cpu / p : 0,
               server, rss / 1024, lag }'
}

run_floor() {  # N: the same probes by bench/tls_floor.c; the servers' CPU over its window
    local s0 s1 floor
    ip netns exec "$D1" "$BUILD/bench/tls_floor" "$1" 1000 "$WINDOW" "$SERVERS" "$BASE_PORT" \
        >"$WORK/floor.txt" &
    floor=$!
    sleep 1  # its first interval, the full handshakes, is not measured
    s0=$(cpu_ticks "${SERVER_PIDS[@]}")
    wait "$floor"
    s1=$(cpu_ticks "${SERVER_PIDS[@]}")
    awk -v n="$1" -v sc="$((s1 - s0))" -v hz="$TICK" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        s = v["seconds"]; cpu = v["cpu_user"] + v["cpu_sys"]; p = v["probes"]
        printf "%-10s %6d %9.0f %7.1f%% %10.1f %10.1f %8s  - (%d ok, %d resumed)\n", "floor", n,
               p / s, 100 * cpu / s, p ? 1e6 * cpu / p : 0, p ? 1e6 * sc / hz / p : 0, "-", v["ok"],
               v["resumed"] }' "$WORK/floor.txt"
}

printf '%-10s %6s %9s %8s %10s %10s %8s  %s\n' "" checks "probes/s" "CPU" "us/probe" "server us" \
    "RSS MiB" "in the window, ms: loop lag, check turns"
for n in "${SIZES[@]}"; do
    [ -z "${BASELINE:-}" ] || run baseline "$BASELINE" "$n"
    run directord "$DIRECTORD" "$n"
    run_floor "$n"
    run reused "$DIRECTORD" "$n" reuse
done
