#!/usr/bin/env bash
# A partition between the directors (each still reaches the client) makes both MASTER; the
# client's ARP entry for the VIP follows the last gratuitous ARP, the backup's. When the
# partition heals, the backup steps down and the master re-asserts with an advert *and*
# gratuitous ARPs, so the client's entry points at the surviving master again. (No second
# burst 5 s after a take-over, which could otherwise fix the client's entry by chance.)
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
for i in 1 2; do
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 $((102 - i)) "$VIP" "${FAST[@]}" "garp: { repeat_delay: 0s }"; } >"$(config d$i)"
done
start d1
start d2
expect_vip_on d1 5
client_mac_for_vip() { ip -n "$(ns c1)" neigh show "$VIP" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
client_follows() { [ "$(client_mac_for_vip)" = "$(mac_of "$1")" ]; }
ip netns exec "$(ns c1)" ping -c1 -W1 -q "$VIP" >/dev/null || fail "the client cannot reach the VIP"
client_follows d1 || fail "the client's ARP entry is $(client_mac_for_vip), not d1's"

say "partition: d1 and d2 no longer hear each other (isolated bridge ports)"
ip -n "$(ns sw)" link set p0d1 type bridge_slave isolated on
ip -n "$(ns sw)" link set p0d2 type bridge_slave isolated on
wait_for 3 has_vip d2 || fail "d2 did not take over during the partition"
has_vip d1 || fail "d1 gave up its VIP without hearing anyone"
wait_for 3 client_follows d2 || fail "the client never followed d2's gratuitous ARPs"
sleep 2
say "both are MASTER; the client points at d2; the partition heals"
ip -n "$(ns sw)" link set p0d1 type bridge_slave isolated off
ip -n "$(ns sw)" link set p0d2 type bridge_slave isolated off
expect_vip_on d1 3
expect_log d1 "web: another MASTER $SUBNET.2 (priority 100) on VRID 51: asserting ours (101) with an advert and gratuitous ARPs"
wait_for 3 client_follows d1 ||
    fail "the client's ARP entry still points at $(client_mac_for_vip) after the partition healed"
say "the client's ARP entry is d1's again: $(client_mac_for_vip)"
say "PASS"
