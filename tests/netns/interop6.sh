#!/usr/bin/env bash
# directord and keepalived 2.2.7 on one IPv6 VRRPv3 instance, each way round: each hears the
# other, exactly one holds the VIP, crash and SIGTERM fail over both ways, and the client's
# neighbour entry follows every take-over. The adverts of both, from the same node at the same
# priority, are byte for byte the same. Both also hold an IPv4 address never advertised
# (virtual_ipaddress_excluded / excluded_vips), which must move with the role.
LAB_IPV6=1
. "$(dirname "$0")/../../scripts/lab.sh"
export KEEPALIVED_VIP="$VIP6/64" KEEPALIVED_EXCLUDED=$SUBNET.200
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps.sh installs it)"
lab_up 2
D1_LL=fe80::99:ff:fe00:1

directord_config() {  # NODE PRIORITY
    { echo "vrrp:"; echo "  instances:"
      instance_yaml web eth0 51 "$2" "'$VIP6/64'" "${FAST[@]}" "excluded_vips: [$KEEPALIVED_EXCLUDED/24]"
    } >"$(config "$1")"
}
neighbour_is() { [ "$(client_neighbour_mac "$VIP6")" = "$(mac_of "$1")" ]; }
expect_client_sees() {
    wait_for 3 neighbour_is "$1" || fail "client's neighbour entry for $VIP6 is '$(client_neighbour_mac "$VIP6")', not $1's"
    say "client: $VIP6 is at $(mac_of "$1") ($1)"
}
# advert_bytes CAPTURE: the IPv6 header fields and VRRP message of the first advert from d1.
advert_bytes() {
    tcpdump -r "$WORK/$1.pcap" -n -v -x -c 1 "ip6 proto 112 and ip6 src $D1_LL" 2>/dev/null |
        awk '/class/ { match($0, /class 0x[0-9a-f]+/); c = substr($0, RSTART, RLENGTH);
                       match($0, /hlim [0-9]+/); print c ", " substr($0, RSTART, RLENGTH) }
             /0x00[0-9a-f]0:/ { for (i = 2; i <= NF; i++) hex = hex $i }
             END { print substr(hex, 81) }'
}

say "directord d1 (101) master, keepalived d2 (100) backup"
directord_config d1 101
capture_start directord-adverts c1 "ip6 proto 112"
start d1
expect_vip_on d1 5 "$VIP6"
start_keepalived d2 100 3 0.1
expect_log d2 "Entering BACKUP STATE" 3
expect_stays d1 2 "$VIP6"
capture_stop directord-adverts
log_has d2 "Entering MASTER STATE" && fail "keepalived took over although it hears directord"
has_vip d1 "$KEEPALIVED_EXCLUDED" || fail "directord does not hold the excluded address"
# An unsolicited advertisement only updates an entry: the client talks to the VIP once.
ip netns exec "$(ns c1)" ping -6 -c1 -W2 -q "$VIP6" >/dev/null || fail "client cannot reach $VIP6 on d1"
expect_client_sees d1

say "kill -9 directord: keepalived takes over"
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP6/64" dev eth0
ip -n "$(ns d1)" addr del "$KEEPALIVED_EXCLUDED/24" dev eth0
expect_vip_on d2 3 "$VIP6"
expect_client_sees d2
say "directord returns with the higher priority and preempts keepalived"
start d1
expect_vip_on d1 4 "$VIP6"
expect_log d1 "entering MASTER state (preempting fe80::99:ff:fe00:2 (priority 100 < 101)"
expect_client_sees d1
say "SIGTERM directord: keepalived takes over at once"
stop d1 TERM
expect_vip_on d2 2 "$VIP6"
expect_client_sees d2
stop_keepalived d2 TERM
wait_for 3 not has_vip d2 "$VIP6" || fail "keepalived kept the VIP after SIGTERM"

say "keepalived d1 (101) master, directord d2 (100) backup"
: >"$WORK/d2.log"
capture_start keepalived-adverts c1 "ip6 proto 112"
start_keepalived d1 101 3 0.1
expect_vip_on d1 4 "$VIP6"
capture_stop keepalived-adverts
directord_config d2 100
start d2
expect_log d2 "web: entering BACKUP state"
expect_stays d1 2 "$VIP6"
log_has d2 "dropped" && fail "directord dropped keepalived's adverts: $(grep -m1 'dropped' "$WORK/d2.log")"
say "SIGTERM keepalived: directord takes over after skew time"
stop_keepalived d1 TERM
expect_vip_on d2 2 "$VIP6"
expect_log d2 "resigned (priority 0)"
wait_for 2 has_vip d2 "$KEEPALIVED_EXCLUDED" || fail "the excluded address did not move with the role"
expect_client_sees d2
say "crash of the returning keepalived master: directord takes over again"
start_keepalived d1 101 3 0.1
expect_vip_on d1 4 "$VIP6"
expect_client_sees d1
stop_keepalived d1 KILL
ip -n "$(ns d1)" addr del "$VIP6/64" dev eth0
expect_vip_on d2 3 "$VIP6"
expect_log d2 "entering MASTER state (master $D1_LL down"
expect_client_sees d2
stop d2 TERM

ours=$(advert_bytes directord-adverts)
theirs=$(advert_bytes keepalived-adverts)
say "directord's advert from d1: $(echo "$ours" | tr '\n' ' ')"
say "keepalived's advert from d1: $(echo "$theirs" | tr '\n' ' ')"
[ -n "$(echo "$ours" | tail -n 1)" ] || fail "no directord advert captured"
[ "$ours" = "$theirs" ] || fail "the adverts differ"
say "PASS"
