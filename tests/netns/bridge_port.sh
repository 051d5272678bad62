#!/usr/bin/env bash
# A director whose VRRP interface is a bridge of its own (br-lan, e.g. shared with VMs) with
# its uplink enslaved: deleting the port leaves the bridge without carrier (FAULT, the peer
# takes over); a new port brings the carrier back and the instance returns and preempts.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
for i in 1 2; do
    n=$(ns d$i)
    ip -n "$n" addr flush dev eth0
    ip -n "$n" link add br-lan type bridge stp_state 0 forward_delay 0
    ip -n "$n" link set eth0 master br-lan
    ip -n "$n" addr add "$SUBNET.$i/24" dev br-lan
    ip -n "$n" link set br-lan up
    { echo "vrrp:"; echo "  instances:"; instance_yaml web br-lan 51 $((102 - i)) "$VIP" "${FAST[@]}"; } >"$(config d$i)"
done
start d1
start d2
expect_vip_on d1 5 "$VIP" br-lan

say "d1's bridge port is deleted: no carrier on br-lan, FAULT, d2 takes over"
ip -n "$(ns d1)" link del eth0
expect_log d1 "web: entering FAULT state (interface br-lan down"
expect_vip_on d2 3 "$VIP" br-lan

say "a new port is enslaved: carrier back, d1 returns and preempts"
wire d1 eth0 br0 "$SUBNET.201" 02:99:00:00:00:01
ip -n "$(ns d1)" addr flush dev eth0
ip -n "$(ns d1)" link set eth0 master br-lan
expect_log d1 "web: entering BACKUP state (fault cleared"
expect_vip_on d1 5 "$VIP" br-lan
say "PASS"
