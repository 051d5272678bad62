#!/usr/bin/env bash
# Unicast peers over IPv6. Peers listed by global (ULA) address get adverts from our global
# address (a link-local source would not be in their lists); peers listed by link-local
# address get them from our link-local one, as RFC 5798 has it. Nothing goes to ff02::12,
# and a multicasting stranger on the same VRID is dropped as not a peer.
LAB_IPV6=1
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 3
VIP6_LL=fd99::101
ll() { printf 'fe80::99:ff:fe00:%s' "${1#d}"; }
write() {  # write NODE PRIORITY PEER_NODE
    { echo "vrrp:"; echo "  instances:"
      instance_yaml g6 eth0 62 "$2" "'$VIP6/64'" "${FAST[@]}" "unicast_peers: ['fd99::${3#d}']"
      instance_yaml ll6 eth0 63 "$2" "'$VIP6_LL/64'" "${FAST[@]}" "unicast_peers: ['$(ll "$3")']"
    } >"$(config "$1")"
}
write d1 101 d2
write d2 100 d1
# d3 multicasts with a higher priority on VRID 62: the unicast pair must ignore it.
{ echo "vrrp:"; echo "  instances:"; instance_yaml g6 eth0 62 200 "'fd99::200/64'" "${FAST[@]}"; } >"$(config d3)"
capture_start unicast6 d2 "ip6 proto 112"
start d1; start d2
expect_vip_on d1 5 "$VIP6"
expect_vip_on d1 5 "$VIP6_LL"
start d3
expect_log d1 "g6: dropped advert from fe80::99:ff:fe00:3: not_a_unicast_peer"
expect_stays d1 1 "$VIP6"
say "kill -9 d1"
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP6/64" dev eth0
ip -n "$(ns d1)" addr del "$VIP6_LL/64" dev eth0
expect_vip_on d2 3 "$VIP6"
expect_vip_on d2 3 "$VIP6_LL"
expect_log d2 "g6: entering MASTER state (master fd99::1 down"
expect_log d2 "ll6: entering MASTER state (master $(ll d1) down"
capture_stop unicast6
# With another instance's VIP (fd99::101) taken as d1's source, d2 dropped d1's adverts.
dropped=$(grep "dropped advert from fd99::" "$WORK/d2.log" || true)
[ -z "$dropped" ] || fail "d2 dropped adverts of its unicast peer: $dropped"
count() { capture_text unicast6 | grep -c "$1" || true; }
global=$(count "fd99::1 > fd99::2: VRRPv3, Advertisement, vrid 62")
link_local=$(count "$(ll d1) > $(ll d2): VRRPv3, Advertisement, vrid 63")
to_group=$(count "fe80::99:ff:fe00:[12] > ff02::12\|fd99::[12] > ff02::12")
say "d1 -> d2 adverts seen on d2: $global from fd99::1 (vrid 62), $link_local link-local (vrid 63); to ff02::12 from the pair: $to_group"
[ "$global" -ge 3 ] || fail "no unicast adverts from d1's global address to d2's"
[ "$link_local" -ge 3 ] || fail "no unicast adverts between the link-local addresses"
[ "$to_group" = 0 ] || fail "the unicast pair sent multicast adverts"
say "PASS"
