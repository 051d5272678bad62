#!/usr/bin/env bash
# VRRPv3 at 10 ms adverts (the protocol's least) held for MINUTES while the directors work:
# a directord pair (d1 master, d2 backup, VRID 51) whose daemons each run CHECKS TCP checks at
# 1 s (against loopback listeners in their own namespace) and reload, every RELOAD seconds,
# a configuration of SERVERS real servers (the CHECKS checked ones stay; the others move to
# another port and back: a diff of SERVERS - CHECKS real servers per reload). Beside it, in the
# same lab and at the same time, a keepalived pair (d3, d4, VRID 52) at the same interval: it
# only runs VRRP (its checker needs IPVS, which a host without it lacks), so it is the anchor of
# what this machine's scheduling alone does to 10 ms adverts. Both run VRRP at nice NICE
# (default -10: directord's process.nice, keepalived's vrrp_priority), as a director that also
# does other work should.
# Prints: take-overs by each backup (the backup must never become MASTER), adverts sent by each
# backup, the period of each master's adverts (median, p99, p99.9, max), the directors' loop
# lag and longest turn, probes/s, reloads done and how long they took. Not a test. Run as root
# after a build.
#   bench/hold.sh [MINUTES]       (default 10; CHECKS=10000 SERVERS=50000 RELOAD=30 NICE=-10)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
CHECKS=${CHECKS:-10000} SERVERS=${SERVERS:-50000} RELOAD=${RELOAD:-30} NICE=${NICE:--10}
BUILD=${BUILD:-$PWD/build}
export DIRECTORD=${DIRECTORD:-$BUILD/daemon/directord}
for tool in "$DIRECTORD" "$BUILD/bench/tcp_sink"; do
    [ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 2; }
done
. scripts/lab.sh
PORTS=100 BASE_PORT=20000
KEEPALIVED_VIP_ADDRESS=$SUBNET.101
lab_up 4

# config_for PRIORITY SHIFT: the instance at 10 ms and SERVERS real servers, the first CHECKS
# checked, the others on port 80 + SHIFT.
config_for() {
    echo "process: { nice: $NICE }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 "$1" "$VIP" "version: 3" "advert_interval: 10ms"
    echo "virtual_servers:"
    bench_virtual_servers "$SERVERS" "$CHECKS" "$2"
}

say "configurations: $SERVERS real servers, $CHECKS checked"
for node in d1 d2; do
    prio=$([ "$node" = d1 ] && echo 101 || echo 100)
    config_for "$prio" 0 >"$WORK/$node-a.yaml"
    config_for "$prio" 1 >"$WORK/$node-b.yaml"
    cp "$WORK/$node-a.yaml" "$(config "$node")"
    ip netns exec "$(ns "$node")" "$BUILD/bench/tcp_sink" "$PORTS" "$BASE_PORT" >"$WORK/$node-sink.out" 2>&1 &
    LAB_PIDS+=($!)
done
for node in d1 d2; do
    wait_for 5 grep -qs accepted "$WORK/$node-sink.out" || fail "tcp_sink did not start on $node"
    start "$node"
done
for node in d3 d4; do
    KEEPALIVED_VRID=52 KEEPALIVED_VIP=$KEEPALIVED_VIP_ADDRESS/24 KEEPALIVED_GLOBALS="vrrp_priority $NICE" \
        start_keepalived "$node" "$([ "$node" = d3 ] && echo 101 || echo 100)" 3 0.01
done
for node in d1 d2; do expect_log "$node" "health checks: $CHECKS monitors" 300; done
wait_for 10 has_vip d1 || fail "d1 is not master"
wait_for 10 has_vip d3 "$KEEPALIVED_VIP_ADDRESS" || fail "d3 is not master"
sleep 3  # every check has run at least twice

accepted() { tail -n 1 "$WORK/$1-sink.out" | awk '{ print $2 }'; }
took_over() { grep -c "$2" "$WORK/$1.log" || true; }
masters() { echo "$(took_over d2 'entering MASTER state') $(took_over d4 'Entering MASTER STATE')"; }
read -r before_d2 before_d4 <<<"$(masters)"
capture_start hold c1 "ip proto 112"
a1=$(accepted d1) a2=$(accepted d2) c0=$(cpu_ticks "${NODE_PID[d1]}" "${NODE_PID[d2]}") t0=$EPOCHREALTIME
end=$((SECONDS + MINUTES * 60)) variant=b reloads=0
say "holding for $MINUTES min, a reload of each director every $RELOAD s"
while ((SECONDS < end)); do
    sleep "$((RELOAD < end - SECONDS ? RELOAD : end - SECONDS))"
    ((SECONDS < end)) || break
    for node in d1 d2; do
        cp "$WORK/$node-$variant.yaml" "$(config "$node")"
        kill -HUP "${NODE_PID[$node]}"
    done
    reloads=$((reloads + 1))
    variant=$([ "$variant" = a ] && echo b || echo a)
done
t1=$EPOCHREALTIME c1=$(cpu_ticks "${NODE_PID[d1]}" "${NODE_PID[d2]}")
b1=$(accepted d1) b2=$(accepted d2)
sleep 1
capture_stop hold
read -r after_d2 after_d4 <<<"$(masters)"

capture_text hold >"$WORK/hold.txt"

# period MAC: "p50 p99 p99.9 max (n=N)" of a sender's advert period, in ms
period() {
    awk -v mac="$1" '$2 == mac { if (t) printf "%.3f\n", ($1 - t) * 1000; t = $1 }' "$WORK/hold.txt" |
        quantiles 0.5 0.99 0.999 1
}
adverts_from() { awk -v mac="$1" '$2 == mac { n++ } END { print n + 0 }' "$WORK/hold.txt"; }
# reload_times NODE: "p50 max (n=N)" of SIGHUP -> "reload done", in s
reload_times() {
    awk '/SIGHUP: reload requested/ { split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3] }
         /reload done/ && s { split($1, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] - s; s = 0 }' "$WORK/$1.log" |
        quantiles 0.5 1
}

window=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
echo
echo "# hold bench: VRRPv3 at 10 ms for $MINUTES min, $(date -u +%F) $(uname -r), $(nproc) cores"
printf '%-11s %-22s %-10s %-10s %-40s %s\n' impl "backup took over" "backup ads" "master" "master advert period ms: p50 p99 p99.9 max" "load"
printf '%-11s %-22s %-10s %-10s %-40s %s\n' directord "$((after_d2 - before_d2)) times" "$(adverts_from "$(mac_of d2)")" d1 \
    "$(period "$(mac_of d1)")" "$CHECKS TCP checks/s and a $SERVERS-real-server reload every $RELOAD s on each director"
printf '%-11s %-22s %-10s %-10s %-40s %s\n' keepalived "$((after_d4 - before_d4)) times" "$(adverts_from "$(mac_of d4)")" d3 \
    "$(period "$(mac_of d3)")" "VRRP only, beside the directord pair"
echo "(VRRP at nice $NICE in both)"
echo
awk -v a="$((b1 - a1 + b2 - a2))" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v s="$window" 'BEGIN {
    printf "directord, both directors: %.0f probes/s, CPU %.1f%% of a core\n", a / s, 100 * c / hz / s }'
for node in d1 d2; do
    printf 'directord %s: loop lag %s ms; reloads (SIGHUP -> done, s: p50 max) %s of %d sent\n' "$node" "$(loop_lag "$node")" \
        "$(reload_times "$node")" "$reloads"
done
