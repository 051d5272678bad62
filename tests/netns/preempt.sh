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
# The take-over names the live master it preempted, and the ignored adverts were said and counted.
expect_log d1 "web: entering MASTER state (preempting $SUBNET.2 (priority 100 < 101)"
expect_log d1 "web: ignoring adverts of lower-priority master $SUBNET.2 (priority 100, ours 101): preempting it"
log_has d1 "master $SUBNET.2 down" && fail "d1 claimed the live master was down"
ignored=$("$DIRECTORCTL" -s "$(control_socket d1)" status --json | grep -o '"lower_priority_ignored": *[0-9]*' | tr -dc 0-9)
say "lower-priority adverts ignored by d1: $ignored"
[ "${ignored:-0}" -ge 1 ] || fail "the ignored adverts were not counted"
say "PASS"
