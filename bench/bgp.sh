#!/usr/bin/env bash
# The BGP tier's figures, in the namespace lab of the bgp.tier test (router FRR with ECMP;
# d1 FRR, d3 BIRD; the shipped example configs): the time from an event on a director to the
# router's table losing that director's next hop, RUNS times each (default 10), median and max:
#   check   the real server stops answering (fall 2, every 200 ms: the 2nd failed probe is
#           0.2 to 0.4 s after it)
#   down    the VIP's down-file is created
#   freeze  SIGSTOP of the director's routing engine (BFD 3 x 100 ms: the anchor is 0.3 s)
# and, with `vm`, the connections broken when a director leaves and returns (vm.bgp_flows, in
# the IPVS VM; goal 0). Prints a table; not a test. Run as root after a build.
#   bench/bgp.sh [RUNS] [vm]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
export DIRECTORD=${DIRECTORD:-$PWD/build/daemon/directord}
export DIRECTORCTL=${DIRECTORCTL:-$PWD/build/daemon/directorctl}
[ -x "$DIRECTORD" ] || { echo "build first (cmake --build build)" >&2; exit 2; }
if [ "${2:-}" = vm ]; then
    VM_MEM=${VM_MEM:-1536} tests/vm/directord.sh bgp_flows | grep -E "ok after each step|after d2 left"
fi
. scripts/lab.sh
. tests/netns/bgp_lab.sh
bgp_tier_up
wait_next_hops 3 60 >/dev/null
until_seconds 30 has_bfd_peers_up 6 || fail "BFD sessions are not up"

# measure EVENT I: seconds from EVENT on director I to the router's 2 paths; then recovery.
measure() {
    local event=$1 i=$2 node=d$2 t
    case $event in
        check) real_server_down "$i" ;;
        down) : >"$WORK/$node/web.down" ;;
        freeze) kill -STOP ${ENGINE_PIDS[$node]} ;;
    esac
    t=$(wait_next_hops 2 15)
    case $event in
        check) real_server_up "$i" ;;
        down) rm "$WORK/$node/web.down" ;;
        freeze) kill -CONT ${ENGINE_PIDS[$node]} ;;
    esac
    wait_next_hops 3 60 >/dev/null
    until_seconds 30 has_bfd_peers_up 6 || fail "BFD sessions did not come back"
    echo "$t"
}
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f  %.3f", v[int((NR + 1) / 2)], v[NR] }'; }

printf '%-8s %-5s %-28s %s\n' EVENT ENGINE "MEDIAN  MAX (s), $RUNS runs" ANCHOR
for event in check down freeze; do
    for i in 1 3; do
        engine=FRR
        [ "$i" = 3 ] && engine=BIRD
        times=$(for _ in $(seq "$RUNS"); do measure "$event" "$i"; done | stats)
        case $event in check) anchor="2nd failed probe 0.2-0.4" ;; down) anchor="-" ;; freeze) anchor="BFD 3 x 100 ms 0.300" ;; esac
        printf '%-8s %-5s %-28s %s\n' "$event" "$engine" "$times" "$anchor"
    done
done
