#!/usr/bin/env bash
# The maintenance down-file: a tracked file with weight 0 hands over at once with a
# priority-0 advert (take-over after skew time); the global maintenance_file does the same
# for every instance; a tracked file with a weight only lowers the priority (D3: 101 -> 96).
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
mkdir -p "$WORK/d1" "$WORK/d2"
DOWN=$WORK/d1/down        # per-node paths: namespaces share the file system
MAINT=$WORK/d1/maintenance
WEIGHTED=$WORK/d1/drain
{
    echo "maintenance_file: $MAINT"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}" \
        "track: { files: [ $DOWN, { path: $WEIGHTED, weight: -5 } ] }"
} >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"; } >"$(config d2)"
start d1; start d2
expect_vip_on d1 5

hand_over() {  # hand_over WHAT FILE: create FILE, expect d2 to take over fast; remove it, d1 back
    say "$1: touch $2"
    local t0 ms
    t0=$(date +%s%N)
    : >"$2"
    expect_vip_on d2 3
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    say "$1: d2 took over after ${ms} ms"
    [ "$ms" -lt "${3:-1000}" ] || fail "$1 hand-over took ${ms} ms"
    rm -f "$2"
    expect_vip_on d1 5
}
hand_over "down-file (weight 0)" "$DOWN"
expect_log d1 "entering FAULT state (file $DOWN present"
# Back from the down-file, d1 preempts a live d2: its log must not claim d2 was down.
expect_log d1 "web: entering MASTER state (preempting $SUBNET.2 (priority 100 < 101)"
log_has d1 "master $SUBNET.2 down" && fail "d1 claimed the live master $SUBNET.2 was down"
hand_over "global maintenance file" "$MAINT"
expect_log d1 "maintenance file $MAINT created"
# A lowered priority is not a resignation: d2 takes over at master-down (~0.36 s).
hand_over "weighted file (-5)" "$WEIGHTED" 2000
expect_log d1 "effective priority 101 -> 96"
say "PASS"
