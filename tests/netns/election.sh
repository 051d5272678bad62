#!/usr/bin/env bash
# Three directors: the highest priority wins; kill -9 of the master moves the VIP to the
# next one; SIGTERM hands over after skew time; the restarted preferred node preempts.
# The client sees gratuitous ARPs from the new holder at every take-over.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 3
for i in 1 2 3; do
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 $((102 - i)) "$VIP" "${FAST[@]}"; } >"$(config d$i)"
done
capture_start election
start d1; start d2; start d3
expect_vip_on d1 5
expect_log d1 "entering MASTER state"
expect_log d2 "entering BACKUP state"
expect_log d1 "sending gratuitous ARPs on eth0 for $VIP"

say "kill -9 the master"
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP/24" dev eth0  # a crashed node keeps its VIP; the peers must not care
expect_vip_on d2 3
# d3's master-down ends 0.4 ms after d2's: on a busy machine d3 may take over first for a
# moment, and d2 then preempts it (and says so).
expect_log d2 "entering MASTER state (\(master $SUBNET.1 down\|preempting $SUBNET.3 \)"

say "SIGTERM the new master: graceful hand-over"
t0=$(date +%s%N)
stop d2 TERM
expect_vip_on d3 3
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "d3 took over ${elapsed_ms} ms after SIGTERM"
# skew time at priority 99 and 0.1 s adverts is 61 ms: far below master-down (~0.36 s)
[ "$elapsed_ms" -lt 1000 ] || fail "graceful hand-over took ${elapsed_ms} ms"
has_vip d2 && fail "d2 kept the VIP after SIGTERM"
expect_log d3 "resigned (priority 0)"

say "d1 returns and preempts"
start d1
expect_vip_on d1 5
sleep 0.5
capture_stop election
for node in d1 d2 d3; do
    n=$(garps_from election "$(mac_of $node)")
    say "gratuitous ARPs from $node: $n"
    [ "$n" -ge 5 ] || fail "client saw $n gratuitous ARPs from $node"
done
say "PASS"
