#!/usr/bin/env bash
# Health-check scale figures: N TCP checks at 1 s against loopback listeners (100 ports on
# 127.0.0.x inside a lab namespace), directord beside the floor (bench/probe_floor.c, a bare
# epoll loop doing the same probes) in the same run. For each N: probes/s (connections the
# listeners accepted), CPU % of one core and CPU per probe, resident memory per check (what N
# checks add to N real servers without checks) and per real server without a check (over none),
# probe start lateness (p50/p99, from directord's own status line) and the
# jitter of its VRRPv3 adverts (100 ms, captured by the client namespace) and its loop lag (how
# late a 100 ms timer ran, p99 bound and max since its start, in ms). Prints a table;
# not a test. Run as root after a build.
#   bench/checks.sh [N...]          (default 1000 10000 30000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-1000}")
[ $# -gt 0 ] || SIZES=(1000 10000 30000)
BUILD=${BUILD:-$PWD/build}
export DIRECTORD=${DIRECTORD:-$BUILD/daemon/directord}
for tool in "$DIRECTORD" "$BUILD/bench/probe_floor" "$BUILD/bench/tcp_sink"; do
    [ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 2; }
done
. scripts/lab.sh
PORTS=100 BASE_PORT=20000 WINDOW=${WINDOW:-10}
lab_up 1
D1=$(ns d1)
ip netns exec "$D1" "$BUILD/bench/tcp_sink" "$PORTS" "$BASE_PORT" >"$WORK/sink.out" 2>&1 &
LAB_PIDS+=($!)
wait_for 5 grep -qs accepted "$WORK/sink.out" || fail "tcp_sink did not start"

accepted() { tail -n 1 "$WORK/sink.out" | awk '{ print $2 }'; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
TICK=$(getconf CLK_TCK)

# config_for N [CHECKED]: one VRRP instance and N real servers (PORTS per virtual server), the
# first CHECKED (default all) with TCP checks at 1 s.
config_for() {
    echo "vrrp:"
    echo "  instances:"
    instance_yaml vi eth0 51 150 "$VIP" "${FAST[@]}"
    [ "$1" -gt 0 ] || return 0
    echo "virtual_servers:"
    bench_virtual_servers "$1" "${2:-$1}"
}

# jitter_p99 CAPTURE: p99 of |interval - 100 ms| between d1's adverts, in ms.
jitter_p99() {
    capture_text "$1" | awk '/VRRPv3/ { if (t) print (($1 - t) * 1000 - 100 < 0 ? 100 - ($1 - t) * 1000 : ($1 - t) * 1000 - 100); t = $1 }' |
        sort -g | awk '{ a[n++] = $1 } END { if (n) printf "%.2f", a[int(n * 0.99)]; else print "n/a" }'
}

# start_settled N CHECKED: d1 with N real servers, CHECKED of them checked, master and with its
# checks running (each has run at least twice).
start_settled() {
    config_for "$1" "$2" >"$WORK/bench.yaml"
    : >"$WORK/d1.log"
    start d1 "$WORK/bench.yaml"
    expect_vip_on d1 10
    [ "$1" -eq 0 ] || expect_log d1 "health checks: $2 monitors" 60
    sleep 3
}

# rss_unchecked N: directord's resident memory (KiB) with N real servers and no checks.
rss_unchecked() {
    start_settled "$1" 0 >/dev/null
    rss_kib "${NODE_PID[d1]}"
    stop d1 >/dev/null
}

declare -A RSS=()
run_directord() {  # N -> fills RESULT
    local n=$1 pid c0 c1 a0 a1 t0 t1 rss lateness lag rss_u
    [ "$n" -eq 0 ] || rss_u=$(rss_unchecked "$n")
    start_settled "$n" "$n"
    pid=${NODE_PID[d1]}
    capture_start "adv$n" c1 "ip proto 112"
    c0=$(cpu_ticks "$pid") a0=$(accepted) t0=$(date +%s.%N)
    sleep "$WINDOW"
    c1=$(cpu_ticks "$pid") a1=$(accepted) t1=$(date +%s.%N)
    capture_stop "adv$n"
    rss=$(rss_kib "$pid")
    kill -USR1 "$pid"
    expect_log d1 "status health checks" 5
    lateness=$(grep -o 'start lateness p50 [^,]*, p99 [^ ,]*' "$WORK/d1.log" | tail -n 1 || true)
    lag=$(loop_lag d1)
    stop d1
    RSS[$n]=$rss
    RESULT=$(awk -v n="$n" -v c="$((c1 - c0))" -v hz="$TICK" -v a="$((a1 - a0))" -v t0="$t0" -v t1="$t1" \
        -v rss="$rss" -v rss0="${RSS[0]:-$rss}" -v rss_u="${rss_u:-0}" -v lat="${lateness:-n/a}" -v jit="$(jitter_p99 "adv$n")" -v lag="$lag" 'BEGIN {
            s = t1 - t0; cpu = c / hz
            printf "%-10s %7d %9.0f %7.1f%% %9.1f %8s %9s %8s  %-30s %s", "directord", n, a / s, 100 * cpu / s,
                   a ? 1e6 * cpu / a : 0, n ? sprintf("%.0f", (rss - rss_u) * 1024 / n) : "-",
                   n ? sprintf("%.0f", (rss_u - rss0) * 1024 / n) : "-", jit, lag, lat }')
}
run_floor() {  # N
    ip netns exec "$D1" "$BUILD/bench/probe_floor" "$1" 1000 "$WINDOW" "$PORTS" "$BASE_PORT" |
        awk -v n="$1" -F'[= ]' '{ cpu = $8 + $10; s = $6
            printf "%-10s %7d %9.0f %7.1f%% %9.1f %8s %9s %8s", "floor", n, $2 / s, 100 * cpu / s, 1e6 * cpu / $2, "-", "-", "-" }'
}

printf '%-10s %7s %9s %8s %9s %8s %9s %8s  %-30s %s\n' "" checks "probes/s" "CPU" "us/probe" "B/check" "B/server" "jit99ms" "loop lag ms" "lateness"
run_directord 0
echo "$RESULT"
for n in "${SIZES[@]}"; do
    run_floor "$n"
    echo
    run_directord "$n"
    echo "$RESULT"
done
