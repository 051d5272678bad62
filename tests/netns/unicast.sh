#!/usr/bin/env bash
# Unicast peers: adverts go to the listed peer addresses, never to 224.0.0.18, and
# adverts from anyone else are dropped (counted as not_a_unicast_peer).
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 3
write() {  # write NODE PRIORITY PEER
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 "$2" "$VIP" "${FAST[@]}" "unicast_peers: [$3]"; } \
        >"$(config "$1")"
}
write d1 101 "$SUBNET.2"
write d2 100 "$SUBNET.1"
# d3 multicasts with a higher priority on the same VRID: a unicast pair must ignore it.
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 200 "$SUBNET.101" "${FAST[@]}"; } >"$(config d3)"
capture_start unicast d2 "ip proto 112"
start d1; start d2
expect_vip_on d1 5
start d3
expect_log d1 "dropped advert from $SUBNET.3: not_a_unicast_peer"
expect_stays d1 1
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP/24" dev eth0
wait_for 3 has_vip d2 || fail "d2 did not take over from its unicast peer"
say "d2 took over"
capture_stop unicast
to_peer=$(capture_text unicast | grep -c "$SUBNET.1 > $SUBNET.2: VRRPv3" || true)
to_group=$(capture_text unicast | grep -c "$SUBNET.[12] > 224.0.0.18" || true)
say "adverts d1 -> d2 seen on d2: $to_peer; multicast adverts from the pair: $to_group"
[ "$to_peer" -ge 3 ] || fail "no unicast adverts from d1 to d2"
[ "$to_group" = 0 ] || fail "the unicast pair sent multicast adverts"
say "PASS"
