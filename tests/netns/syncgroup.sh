#!/usr/bin/env bash
# D1: the outside VIP and the inside gateway VIP move together. A fault of the inside
# link on the master moves both; the node's return brings both back (preempt).
# A higher-priority peer on one instance only pulls the whole group over.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2 inside
DRAIN=$WORK/d1-drain-inside
write() {  # write NODE PRIORITY
    {
        echo "vrrp:"
        echo "  instances:"
        instance_yaml outside eth0 51 "$2" "$VIP" "${FAST[@]}"
        instance_yaml inside eth1 52 "$2" "$INSIDE_VIP" "${FAST[@]}" \
            "track: { files: [{ path: $WORK/$1-drain-inside, weight: -60 }] }"
        echo "  sync_groups: [{ name: dlvs, instances: [outside, inside] }]"
    } >"$(config "$1")"
}
both_on() {
    expect_vip_on "$1" "$2" "$VIP" eth0
    expect_vip_on "$1" "$2" "$INSIDE_VIP" eth1
}
write d1 101
write d2 100
start d1; start d2
both_on d1 5

say "inside link of d1 loses carrier: both instances move to d2"
ip -n "$(ns sw)" link set p1d1 down
both_on d2 3
expect_log d1 "outside: entering FAULT state (sync group dlvs: inside is in FAULT"
ip -n "$(ns sw)" link set p1d1 up
both_on d1 5

say "a weight on d1's inside instance lowers the whole group to 41: d2 preempts both"
: >"$DRAIN"
both_on d2 3
expect_log d1 "outside: effective priority 101 -> 41 (base 101: sync group -60)"
expect_stays d2 1 "$VIP"
rm -f "$DRAIN"
both_on d1 3

say "d1 crashes: d2 takes both"
stop d1 KILL
ip -n "$(ns d1)" addr flush dev eth0 to "$VIP/32"
ip -n "$(ns d1)" addr flush dev eth1 to "$INSIDE_VIP/32"
both_on d2 3
start d1
both_on d1 5

say "PASS"
