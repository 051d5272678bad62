#!/usr/bin/env bash
# VRRPv3 over IPv6 between two directors: election, kill -9, preempt on return, SIGTERM
# hand-over, the down-file, a tracked interface, `directorctl garp` (neighbour
# advertisements again on demand), the notify hook, status, and no preemption. After every take-over the client's neighbour cache entry for
# the IPv6 VIP already names the new master's MAC (its unsolicited neighbour advertisements),
# without the client sending anything.
LAB_IPV6=1
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
DOWN="$WORK/down"
cat >"$WORK/notify" <<SCRIPT
#!/bin/sh
echo "\$DIRECTORD_INSTANCE \$DIRECTORD_PREVIOUS_STATE->\$DIRECTORD_STATE" >>$WORK/notified
SCRIPT
chmod +x "$WORK/notify"
write() {  # NODE [extra instance line]
    local i=${1#d}
    { echo "vrrp:"; echo "  instances:"
      instance_yaml web6 eth0 61 $((102 - i)) "'$VIP6/64'" "${FAST[@]}" \
          "track: { files: [ $DOWN.d$i ], interfaces: [ uplink ] }" \
          "$([ "$1" = d1 ] && echo "notify: [$WORK/notify]")" ${2:+"$2"}
      echo "process: { root_programs: [$WORK/notify] }"  # it writes in root's $WORK
    } >"$(config "$1")"
}
write d1
write d2

# expect_client_sees NODE: the client's neighbour entry for the VIP names NODE's MAC.
neighbour_is() { [ "$(client_neighbour_mac "$VIP6")" = "$(mac_of "$1")" ]; }
expect_client_sees() {
    wait_for 3 neighbour_is "$1" ||
        fail "client's neighbour entry for $VIP6 is '$(client_neighbour_mac "$VIP6")', not $1's $(mac_of "$1")"
    say "client: $VIP6 is at $(mac_of "$1") ($1)"
}

for i in 1 2; do  # the tracked interface: a veth pair standing for an uplink
    ip -n "$(ns d$i)" link add uplink type veth peer name uplink-peer
    ip -n "$(ns d$i)" link set uplink-peer up
    ip -n "$(ns d$i)" link set uplink up
done
capture_start election6 c1 "icmp6 or ip6 proto 112"
start d1; start d2
expect_vip_on d1 5 "$VIP6"
expect_log d1 "entering MASTER state"
expect_log d2 "entering BACKUP state"
expect_log d1 "sending unsolicited neighbour advertisements on eth0 for $VIP6"
ip netns exec "$(ns c1)" ping -6 -c1 -W2 -q "$VIP6" >/dev/null || fail "client cannot reach $VIP6 on d1"
expect_client_sees d1

say "kill -9 the master"
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP6/64" dev eth0  # a crashed node keeps its VIP; the peer must not care
expect_vip_on d2 3 "$VIP6"
expect_log d2 "entering MASTER state (master fe80::99:ff:fe00:1 down"
expect_client_sees d2

say "d1 returns and preempts"
start d1
expect_vip_on d1 5 "$VIP6"
expect_log d1 "entering MASTER state (preempting fe80::99:ff:fe00:2 (priority 100 < 101)"
expect_client_sees d1

say "the down-file on the master hands over"
touch "$DOWN.d1"
expect_vip_on d2 3 "$VIP6"
expect_client_sees d2
rm -f "$DOWN.d1"
expect_vip_on d1 5 "$VIP6"
expect_client_sees d1

say "the master's tracked interface goes down, then up"
ip -n "$(ns d1)" link set uplink down
expect_vip_on d2 3 "$VIP6"
expect_log d1 "web6: entering FAULT state"
expect_client_sees d2
ip -n "$(ns d1)" link set uplink up
expect_vip_on d1 5 "$VIP6"
expect_client_sees d1

say "directorctl garp: neighbour advertisements again, now"
nas() { capture_text election6 | grep -c "$(mac_of d1) > 33:33:00:00:00:01, .*neighbor advertisement, tgt is $VIP6" || true; }
sleep 1.5  # the take-over's own burst is over
before=$(nas)
"$DIRECTORCTL" -s "$(control_socket d1)" garp web6 || fail "directorctl garp failed"
more_nas() { [ "$(nas)" -gt "$before" ]; }  # counted again at every try
wait_for 3 more_nas || fail "no neighbour advertisement after directorctl garp ($before before)"
say "neighbour advertisements from d1 for $VIP6: $before before directorctl garp, $(nas) after"

say "SIGTERM the master: graceful hand-over"
t0=$(date +%s%N)
stop d1 TERM
expect_vip_on d2 3 "$VIP6"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "d2 took over ${elapsed_ms} ms after SIGTERM"
[ "$elapsed_ms" -lt 1000 ] || fail "graceful hand-over took ${elapsed_ms} ms"
expect_log d2 "resigned (priority 0)"
expect_client_sees d2
"$DIRECTORCTL" -s "$(control_socket d2)" status | grep -Eq "^web6 +eth0 +61 +MASTER +100" ||
    fail "status on d2: $("$DIRECTORCTL" -s "$(control_socket d2)" status)"

say "d1 returns with preempt: false: d2 keeps the VIP"
write d1 "preempt: false"
start d1
expect_log d1 "web6: entering BACKUP state" 3
expect_stays d2 2 "$VIP6"
has_vip d1 "$VIP6" && fail "d1 took $VIP6 with preempt: false"

say "d1's notify hook saw its transitions"
for t in "web6 INIT->BACKUP" "web6 BACKUP->MASTER" "web6 MASTER->FAULT" "web6 FAULT->BACKUP" \
    "web6 MASTER->INIT"; do
    grep -qx "$t" "$WORK/notified" || fail "notify never saw $t: $(tr '\n' ';' <"$WORK/notified")"
done
capture_stop election6

adverts=$(capture_text election6 | grep -c "fe80::99:ff:fe00:[12] > ff02::12: .*VRRPv3, Advertisement, vrid 61" || true)
hop_ok=$(tcpdump -r "$WORK/election6.pcap" -n -v 'ip6 proto 112' 2>/dev/null | grep -c "hlim 255" || true)
say "client saw $adverts IPv6 adverts, $hop_ok with hop limit 255"
[ "$adverts" -gt 20 ] && [ "$hop_ok" -ge "$adverts" ] || fail "adverts: $adverts, with hop limit 255: $hop_ok"
say "PASS"
