#!/usr/bin/env bash
# The host changes under a running daemon: an interface missing at start, appearing, deleted
# while MASTER and created again, and while BACKUP; a VLAN interface created after the start,
# deleted and created again; a VIP removed by another program while MASTER, or added on
# a BACKUP; the primary address replaced, then none left; the MAC changed (bond fail-over);
# the link down and up. Each instance reacts alone, without a restart or reload.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2 inside
VLAN_VIP=10.97.0.100
vlan_up() {  # vlan_up NODE: eth0.10 with 10.97.0.N
    ip -n "$(ns "$1")" link add link eth0 name eth0.10 type vlan id 10
    ip -n "$(ns "$1")" addr add "10.97.0.${1#d}/24" dev eth0.10
    ip -n "$(ns "$1")" link set eth0.10 up
}
ip -n "$(ns d1)" link del eth1  # d1's inside interface does not exist yet
# 802.1Q is a module some kernels lack (e.g. a minimal VM kernel): the VLAN part needs it.
VLAN=yes
if ip -n "$(ns d1)" link add link eth0 name eth0.10 type vlan id 10 2>/dev/null; then
    ip -n "$(ns d1)" link del eth0.10
else
    VLAN=
    say "SKIPPED (VLAN part only): this kernel cannot create 802.1Q interfaces"
fi
for i in 1 2; do
    {
        echo "vrrp:"
        echo "  instances:"
        instance_yaml web eth0 51 $((102 - i)) "$VIP" "${FAST[@]}"
        instance_yaml inside eth1 52 $((102 - i)) "$INSIDE_VIP" "${FAST[@]}"
        if [ -n "$VLAN" ]; then instance_yaml vlan eth0.10 53 $((102 - i)) "$VLAN_VIP/24" "${FAST[@]}"; fi
    } >"$(config d$i)"
done
start d1
start d2
expect_vip_on d1 5
expect_log d1 "inside: starting on eth1 (VRID 52, VRRPv3, priority 101, advert every 100ms): interface eth1 missing, FAULT until it is created"
expect_vip_on d2 5 "$INSIDE_VIP" eth1

say "eth1 appears on d1: its instance joins and preempts"
wire d1 eth1 br1 "$INSIDE_SUBNET.1" 02:98:00:00:00:01
expect_log d1 "inside: interface eth1 appeared (index"
expect_vip_on d1 5 "$INSIDE_VIP" eth1

say "eth1 deleted while MASTER: FAULT, the other instance runs on"
ip -n "$(ns d1)" link del eth1
expect_log d1 "inside: entering FAULT state (interface eth1 missing"
expect_vip_on d2 3 "$INSIDE_VIP" eth1
has_vip d1 || fail "web lost its VIP when eth1 went away"
say "eth1 created again: MASTER again"
wire d1 eth1 br1 "$INSIDE_SUBNET.1" 02:98:00:00:00:01
expect_vip_on d1 5 "$INSIDE_VIP" eth1

say "d2's eth1 deleted and created again while BACKUP: it rejoins as BACKUP"
ip -n "$(ns d2)" link del eth1
expect_log d2 "inside: entering FAULT state (interface eth1 missing"
wire d2 eth1 br1 "$INSIDE_SUBNET.2" 02:98:00:00:00:02
expect_log d2 "inside: interface eth1 appeared (index"
expect_log d2 "inside: entering BACKUP state (fault cleared"
sleep 0.5
has_vip d1 "$INSIDE_VIP" eth1 || fail "d1 lost the inside VIP when d2's interface came back"
has_vip d2 "$INSIDE_VIP" eth1 && fail "d2 took the inside VIP from a live higher-priority master"

if [ -n "$VLAN" ]; then
    say "VLAN eth0.10 created on both after the start: its instance joins the election"
    expect_log d1 "vlan: starting on eth0.10 (VRID 53, VRRPv3, priority 101, advert every 100ms): interface eth0.10 missing"
    vlan_up d1
    vlan_up d2
    expect_vip_on d1 5 "$VLAN_VIP" eth0.10
    say "VLAN deleted on the master: d2 takes it; created again: d1 preempts"
    ip -n "$(ns d1)" link del eth0.10
    expect_vip_on d2 3 "$VLAN_VIP" eth0.10
    vlan_up d1
    expect_vip_on d1 5 "$VLAN_VIP" eth0.10
    ip -n "$(ns d1)" link del eth0.10  # the eth0 scenarios below are about eth0 alone
    ip -n "$(ns d2)" link del eth0.10
fi

say "a VIP removed by another program while MASTER is put back"
ip -n "$(ns d1)" addr del "$VIP/24" dev eth0
wait_for 3 has_vip d1 || fail "the removed VIP was not put back"
expect_log d1 "web: VIP $VIP/24 was removed from eth0 by another program while MASTER: adding it back"
say "a VIP of ours added on the BACKUP is removed"
ip -n "$(ns d2)" addr add "$VIP/24" dev eth0
wait_for 3 not has_vip d2 || fail "the BACKUP kept a VIP another program added"
expect_log d2 "web: VIP $VIP/24 is on eth0 while BACKUP (added by another program): removing it"

say "d1's primary address is replaced: adverts leave from the new one"
ip netns exec "$(ns d1)" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
ip -n "$(ns d1)" addr add "$SUBNET.11/24" dev eth0
capture_start primary
ip -n "$(ns d1)" addr del "$SUBNET.1/24" dev eth0
expect_log d1 "web: adverts now leave from $SUBNET.11 (primary address of eth0, was $SUBNET.1)"
sleep 0.5
capture_stop primary
capture_text primary | grep -q "$SUBNET.11 > 224.0.0.18: VRRPv3" || fail "no advert from $SUBNET.11"
has_vip d1 || fail "d1 lost the VIP when its primary address changed"

say "no address left on eth0: FAULT, d2 takes over; an address again: d1 preempts"
ip -n "$(ns d1)" addr flush dev eth0
expect_log d1 "web: entering FAULT state (no IPv4 address on eth0"
expect_vip_on d2 3
ip -n "$(ns d1)" addr add "$SUBNET.1/24" dev eth0
expect_vip_on d1 5

say "the MAC of eth0 changes while MASTER: gratuitous ARPs from the new one"
capture_start mac
ip -n "$(ns d1)" link set dev eth0 address 02:99:00:00:00:aa
expect_log d1 "web: hardware address of eth0 changed 02:99:00:00:00:01 -> 02:99:00:00:00:aa"
sleep 0.5
capture_stop mac
n=$(garps_from mac 02:99:00:00:00:aa)
say "gratuitous ARPs from the new MAC: $n"
[ "$n" -ge 5 ] || fail "the client saw $n gratuitous ARPs from the new MAC"

say "eth0 down: FAULT, d2 takes over; up: d1 preempts"
ip -n "$(ns d1)" link set eth0 down
expect_log d1 "web: entering FAULT state (interface eth0 down"
expect_vip_on d2 3
ip -n "$(ns d1)" link set eth0 up
expect_vip_on d1 5
log_has d1 "inside: entering FAULT state (interface eth0" && fail "the inside instance followed eth0"
say "PASS"
