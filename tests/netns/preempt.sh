#!/usr/bin/env bash
# nopreempt: the VIP stays where it is when the preferred node returns.
# preempt_delay: the preferred node tolerates the lower master for the delay, then takes over.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
write() {  # write NODE PRIORITY [extra lines]
    local node=$1 prio=$2
    shift 2
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 "$prio" "$VIP" "${FAST[@]}" "$@"; } >"$(config "$node")"
}
write d1 101 "preempt: false"
write d2 100
start d2
expect_vip_on d2 5
start d1
expect_log d1 "entering BACKUP state"
say "nopreempt: d1 (101) must leave the VIP on d2 (100)"
expect_stays d2 3
has_vip d1 && fail "d1 took the VIP despite preempt: false"

say "preempt_delay 1.5s"
stop d1 TERM
write d1 101 "preempt_delay: 1500ms"
t0=$(date +%s%N)
start d1
expect_stays d2 1.2
wait_for 4 has_vip d1 || fail "d1 did not preempt after its delay"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "d1 preempted ${elapsed_ms} ms after start (delay 1500 ms + master-down ~360 ms)"
[ "$elapsed_ms" -ge 1500 ] || fail "preempted before the delay"
expect_vip_on d1 1
say "PASS"
