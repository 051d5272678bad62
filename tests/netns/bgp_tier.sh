#!/usr/bin/env bash
# The BGP tier with real routing engines: three directors announce one VIP (and an IPv6 one,
# checked at the start, on a failed check and at the end) to a router doing ECMP, d1 and d2
# through FRR, d3 through BIRD, each with the shipped example configs. directord
# only writes kernel routes; the router's table is the verdict. Checked: three paths and traffic
# on all three; a failed check withdraws (and new connections avoid that director); hold-down
# delays the return; the down-file and `directorctl maintenance` withdraw; kill -9 of directord
# leaves the route (by design) and the restart reconciles it with health; a frozen routing
# engine is withdrawn by BFD, long before the 9 s hold time; a clean stop withdraws, then drains;
# --withdraw-routes (the unit's OnFailure) withdraws what a dead daemon left.
. "$(dirname "$0")/../../scripts/lab.sh"
. "$(dirname "$0")/bgp_lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
bgp_tier_up

say "1. start: every director announces"
took=$(wait_next_hops 3 60)
say "3 paths after ${took} s"
until_seconds 30 has_bfd_peers_up 6 || fail "the router has $(bfd_peers_up) BFD sessions up, not 6 (IPv4 and IPv6)"
for i in 1 2 3; do expect_log "d$i" "bgp: $BGP_VIP announced (healthy)"; done
# Status shows the engine's BGP and BFD sessions, read from FRR's JSON and BIRD's tables.
session_shown() {
    "$DIRECTORCTL" --socket "$(control_socket "$1")" status --json |
        jq -e --arg peer "10.0.${1#d}.1" '.bgp.engine_status |
            (.sessions | length == 2 and all(.established)) and
            (.bfd | length == 2 and all(.up) and any(.peer == $peer))' >/dev/null
}
for i in 1 3; do
    until_seconds 12 session_shown "d$i" || fail "d$i's status: $("$DIRECTORCTL" --socket "$(control_socket "d$i")" status --json | jq -c .bgp.engine_status)"
done
say "d1 (FRR): $("$DIRECTORCTL" --socket "$(control_socket d1)" status | grep '^engine ' | paste -sd';')"
say "d3 (BIRD): $("$DIRECTORCTL" --socket "$(control_socket d3)" status | grep '^engine ' | paste -sd';')"
spread=$(spread 30)
say "30 connections: $spread"
for i in 1 2 3; do [[ " $spread" == *" d$i"* ]] || fail "no connection reached d$i ($spread)"; done
# IPv6: the same routes, /128, through the IPv6 sessions.
took=$(wait_next_hops 3 30 "$BGP_VIP6")
spread=$(spread 30 6)
say "$BGP_VIP6: 3 paths after another ${took} s; 30 connections: $spread"
for i in 1 2 3; do [[ " $spread" == *" d$i"* ]] || fail "no IPv6 connection reached d$i ($spread)"; done

say "2. d2's real server fails its check: d2 is withdrawn"
real_server_down 2
took=$(wait_next_hops 2 3)  # fall 2 x 200 ms, plus BGP
say "2 paths after ${took} s"
expect_log d2 "bgp: $BGP_VIP withdrawn (web: 0/1 real servers live)"
spread=$(spread 20)
say "20 connections: $spread"
[[ "$spread" == *d2* || "$spread" == *none* ]] && fail "a connection reached d2 or none ($spread)"
took=$(wait_next_hops 2 3 "$BGP_VIP6")
spread=$(spread 20 6)
say "$BGP_VIP6: 2 paths; 20 connections: $spread"
[[ "$spread" == *d2* || "$spread" == *none* ]] && fail "an IPv6 connection reached d2 or none ($spread)"

say "3. it returns: announced again after the 2 s hold-down"
real_server_up 2
took=$(wait_next_hops 3 8)
say "3 paths after ${took} s"
wait_next_hops 3 8 "$BGP_VIP6" >/dev/null
# The hold-down, from d2's own log: the announce is at least 2 s after the withdraw.
stamp() { grep -- "$2" "$WORK/$1.log" | tail -n1 | awk '{ split($1, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }'; }
held=$(awk -v a="$(stamp d2 "$BGP_VIP withdrawn")" -v b="$(stamp d2 "$BGP_VIP announced")" 'BEGIN { printf "%.3f", b - a }')
say "d2 announced again ${held} s after its withdraw"
awk -v h="$held" 'BEGIN { exit !(h >= 1.99) }' || fail "announced again ${held} s after the withdraw (hold-down 2 s)"

say "4. the down-file withdraws d1 at once"
: >"$WORK/d1/web.down"
took=$(wait_next_hops 2 2)
say "2 paths after ${took} s"
expect_log d1 "bgp: $BGP_VIP withdrawn (down file $WORK/d1/web.down present)"
rm "$WORK/d1/web.down"
wait_next_hops 3 8 >/dev/null

say "5. directorctl maintenance on withdraws d3 (BIRD)"
"$DIRECTORCTL" --socket "$(control_socket d3)" maintenance on >/dev/null
took=$(wait_next_hops 2 2)
say "2 paths after ${took} s"
"$DIRECTORCTL" --socket "$(control_socket d3)" status --json >"$WORK/d3-status.json"
jq -e '.bgp.vips[0].announced == false and (.bgp.vips[0].reason | startswith("maintenance file"))' \
    "$WORK/d3-status.json" >/dev/null || fail "d3's status: $(jq -c .bgp "$WORK/d3-status.json")"
"$DIRECTORCTL" --socket "$(control_socket d3)" maintenance off >/dev/null
took=$(wait_next_hops 3 8)
say "3 paths after ${took} s"

say "6. kill -9 of d1's directord: the route stays; the restart reconciles it with health"
stop d1 KILL
stays_next_hops 3 3
real_server_down 1  # while nobody watches
start d1
expect_log d1 "bgp: $BGP_VIP found announced: kept through the warm-up" 5
took=$(wait_next_hops 2 5)
say "withdrawn after the restart's first check round: 2 paths after ${took} s"
real_server_up 1
wait_next_hops 3 8 >/dev/null

say "7. d2's routing engine frozen: BFD withdraws it, long before the 9 s hold time"
kill -STOP ${ENGINE_PIDS[d2]}
took=$(wait_next_hops 2 2)
say "2 paths after ${took} s"
kill -CONT ${ENGINE_PIDS[d2]}
took=$(wait_next_hops 3 30)
say "3 paths after ${took} s once it runs again"

say "8. a clean stop of d3: withdrawn first, the process exits after the 1 s drain"
t0=$EPOCHREALTIME
kill -TERM "${NODE_PID[d3]}"
wait_next_hops 2 2 >/dev/null
running d3 || fail "d3 exited before its route was gone from the router"
wait "${NODE_PID[d3]}" || true
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
say "d3 exited ${took} s after SIGTERM"
awk -v t="$took" 'BEGIN { exit !(t >= 1.0) }' || fail "d3 exited after ${took} s, before its drain"
expect_log d3 "bgp: waiting 1s for routers to drain before exiting"

say "9. d1 fails for good (kill -9, restarts exhausted): the unit's OnFailure withdraws its route"
stop d1 KILL
stays_next_hops 2 1
out=$(ip netns exec "$(ns d1)" "$DIRECTORD" --withdraw-routes -f "$(config d1)")
[ "$out" = "withdrawn $BGP_VIP"$'\n'"withdrawn $BGP_VIP6" ] || fail "--withdraw-routes printed: $out"
took=$(wait_next_hops 1 2)
wait_next_hops 1 2 "$BGP_VIP6" >/dev/null
say "1 path after ${took} s (IPv6 too)"
say "PASS"
