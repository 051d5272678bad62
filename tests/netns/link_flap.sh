#!/usr/bin/env bash
# link_up_delay: a flapping link puts the instance in FAULT once, at the first loss, and it
# returns only when the link has stayed up for the delay. stray_vips: warn reports a VIP of
# ours that another program adds on a BACKUP and leaves it in place.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}" "link_up_delay: 1500ms"; } >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}" "stray_vips: warn"; } >"$(config d2)"
start d1
start d2
expect_vip_on d1 5

takeovers_before=$(grep -c "web: entering MASTER state" "$WORK/d2.log" || true)  # a start-up race may count
say "d1's link flaps three times"
for _ in 1 2 3; do
    ip -n "$(ns d1)" link set eth0 down
    sleep 0.1
    ip -n "$(ns d1)" link set eth0 up
    sleep 0.1
done
t_up=$(date +%s%N)
expect_log d1 "web: entering FAULT state (interface eth0 down"
expect_log d1 "interface eth0 up again, waiting 1.5s for it to stay up"
expect_vip_on d2 3
wait_for 6 has_vip d1 || fail "d1 did not return after its link stayed up"
back_ms=$(( ($(date +%s%N) - t_up) / 1000000 ))
say "d1 back ${back_ms} ms after the last flap (link_up_delay 1.5 s, then preempting)"
[ "$back_ms" -ge 1400 ] || fail "d1 returned before its link had been up for 1.5 s"
faults=$(grep -c "web: entering FAULT state" "$WORK/d1.log" || true)
takeovers=$(( $(grep -c "web: entering MASTER state" "$WORK/d2.log" || true) - takeovers_before ))
say "d1 entered FAULT $faults time(s); d2 became MASTER $takeovers time(s)"
[ "$faults" = 1 ] || fail "the flapping link made d1 enter FAULT $faults times"
[ "$takeovers" = 1 ] || fail "the VIP moved to d2 $takeovers times"

say "stray_vips: warn on d2 leaves a VIP another program adds there"
ip -n "$(ns d2)" addr add "$VIP/24" dev eth0
expect_log d2 "web: VIP $VIP/24 is on eth0 while BACKUP (added by another program): left in place (stray_vips: warn)"
sleep 0.5
has_vip d2 || fail "d2 removed the VIP although stray_vips is warn"
ip -n "$(ns d2)" addr del "$VIP/24" dev eth0
say "PASS"
