#!/usr/bin/env bash
# A peer with the wrong password must not silence our master (keepalived goes quiet here and
# both nodes end up holding the VIP): directord keeps advertising and reports the peer loudly.
. "$(dirname "$0")/../../scripts/lab.sh"
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps.sh installs it)"
lab_up 2
{
    echo "vrrp:"; echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "version: 2" "auth: { type: pass, password: secret12 }"
} >"$(config d1)"
start d1
expect_vip_on d1 6
capture_start adverts
start_keepalived d2 100 2 1 wrong
expect_log d1 "MISCONFIGURED PEER $SUBNET.2 on VRID 51: auth_mismatch" 8
since=$(date +%s.%N)
sleep 4
capture_stop adverts
count_since() { capture_text adverts | awk -v mac="$1" -v t0="$since" '$1 >= t0 && $2 == mac && /VRRPv2/' | wc -l; }
ours=$(count_since "$(mac_of d1)")
theirs=$(capture_text adverts | awk -v mac="$(mac_of d2)" '$2 == mac && /VRRPv2/' | wc -l)
say "adverts: keepalived $theirs in all; directord $ours in the 4 s after it saw the bad peer"
[ "$theirs" -ge 1 ] || fail "keepalived never advertised: the scenario did not happen"
# One a second: we never went quiet.
[ "$ours" -ge 3 ] || fail "directord sent only $ours adverts in 4 s: it was silenced"
has_vip d1 || fail "directord gave up the VIP to a peer it cannot authenticate"
kill -USR1 "${NODE_PID[d1]}"
expect_log d1 "status web: MASTER priority 101 (base 101), adverts sent [0-9]* received [0-9]*, .*drops: auth_mismatch=[1-9]"
drops() { grep -o "status web: .*auth_mismatch=[0-9]*" "$WORK/d1.log" | tail -1 | sed 's/.*auth_mismatch=//'; }
first=$(drops)

say "the alarm repeats while the peer is wrong (at most every 10 s), and the counter keeps growing"
# keepalived as MASTER restarts its advert timer on every packet it receives, even one it
# rejects, so after its first advert it may stay silent for the whole test. Its priority-0 advert
# on SIGTERM is one more advert we must reject: sent once the 10 s alarm hold-off is over.
sleep "$(awk -v t0="$since" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + 10.5 - now; print (d > 0 ? d : 0) }')"
stop_keepalived d2 TERM
alarms() { [ "$(grep -c "MISCONFIGURED PEER $SUBNET.2 on VRID 51: auth_mismatch" "$WORK/d1.log")" -ge 2 ]; }
wait_for 3 alarms || fail "the misconfigured peer's last advert (priority 0 on stop) raised no second alarm"
has_vip d1 || fail "directord gave up the VIP on a priority-0 advert it cannot authenticate"
kill -USR1 "${NODE_PID[d1]}"
two_status_lines() { [ "$(grep -c "status web:" "$WORK/d1.log")" -ge 2 ]; }
wait_for 3 two_status_lines || fail "no second status line"
second=$(drops)
say "auth_mismatch drops: $first, then $second"
[ "$second" -gt "$first" ] || fail "the drop counter stopped growing ($first, then $second)"
say "PASS"
