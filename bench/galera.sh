#!/usr/bin/env bash
# Galera check figures: directord probing a real 2-node MariaDB Galera cluster on loopback
# (wsrep status over the non-blocking connector) at a given total rate. For each rate:
# probes/s achieved, directord's CPU % of one core and CPU per probe, the cluster's CPU, and
# how many checks were up. Each virtual server gets its own timeout (500 ms + i ms) so that
# no two checks are merged. Prints a table; not a test. Run as root after a build.
#   bench/galera.sh [PROBES_PER_SECOND...]      (default 200 1000 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=("$@")
[ $# -gt 0 ] || RATES=(200 1000 2000)
DIRECTORD=${DIRECTORD:-$PWD/build/daemon/directord}
[ -x "$DIRECTORD" ] || { echo "build first (cmake --build build)" >&2; exit 2; }
WINDOW=${WINDOW:-10}
export GALERA_BASE GALERA_MYSQL_PORT_BASE=33306 GALERA_GCOMM_PORT_BASE=34567 GALERA_TIMEOUT=120
GALERA_BASE=$(mktemp -d /tmp/directord-galera-bench.XXXXXX)
chmod 755 "$GALERA_BASE"
cluster() { bash tests/galera/cluster.sh "$@"; }
PID=
cleanup() {
    [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
    cluster down >/dev/null 2>&1 || true
    rm -rf "$GALERA_BASE"
}
trap cleanup EXIT
printf 'probe\n' >"$GALERA_BASE/probe.pass"
chmod 600 "$GALERA_BASE/probe.pass"
cluster up 2 >/dev/null

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cluster_ticks() {
    local total=0 pid
    for pid in $(cat "$GALERA_BASE"/node*/mysqld.pid); do total=$((total + $(cpu_ticks "$pid"))); done
    echo "$total"
}
started() {  # PID LOG -> probes started so far (asks for a status line)
    local before
    before=$(grep -c "status health checks" "$2" || true)
    kill -USR1 "$1"
    for _ in $(seq 100); do
        [ "$(grep -c "status health checks" "$2" || true)" -gt "$before" ] && break
        sleep 0.05
    done
    grep -o 'probes started [0-9]*' "$2" | tail -n 1 | awk '{ print $3 }'
}
TICK=$(getconf CLK_TCK)
printf '%-9s %9s %8s %9s %12s %6s\n' "rate" "probes/s" "CPU" "us/probe" "cluster CPU" "up"
for rate in "${RATES[@]}"; do
    servers=$((rate / 2))  # two nodes each, every check once a second
    {
        echo "virtual_servers:"
        for ((i = 0; i < servers; i++)); do
            echo "  - name: galera$i"
            echo "    address: 10.0.$((i / 250)).$((i % 250 + 1)):3306"
            echo "    check: { galera: { user: probe, password_file: $GALERA_BASE/probe.pass }, interval: 1s, timeout: $((500 + i))ms }"
            echo "    real_servers:"
            echo "      - { address: 127.0.0.1:$GALERA_MYSQL_PORT_BASE }"
            echo "      - { address: 127.0.0.1:$((GALERA_MYSQL_PORT_BASE + 1)) }"
        done
    } >"$GALERA_BASE/bench.yaml"
    log="$GALERA_BASE/directord.log"
    : >"$log"
    "$DIRECTORD" -f "$GALERA_BASE/bench.yaml" --foreground \
        --control-socket "$GALERA_BASE/directord.sock" >"$log" 2>&1 </dev/null &
    PID=$!
    sleep 3
    s0=$(started "$PID" "$log") c0=$(cpu_ticks "$PID") k0=$(cluster_ticks) t0=$(date +%s.%N)
    sleep "$WINDOW"
    s1=$(started "$PID" "$log") c1=$(cpu_ticks "$PID") k1=$(cluster_ticks) t1=$(date +%s.%N)
    up=$(grep -o 'monitors ([0-9]* up' "$log" | tail -n 1 | grep -o '[0-9]* up')
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    awk -v r="$rate" -v s="$((s1 - s0))" -v c="$((c1 - c0))" -v k="$((k1 - k0))" -v hz="$TICK" \
        -v t0="$t0" -v t1="$t1" -v up="$up" 'BEGIN { w = t1 - t0
        printf "%-9s %9.0f %7.1f%% %9.1f %11.1f%% %6s\n", r "/s", s / w, 100 * c / hz / w,
               s ? 1e6 * c / hz / s : 0, 100 * k / hz / w, up }'
done
