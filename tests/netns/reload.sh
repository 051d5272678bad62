#!/usr/bin/env bash
# SIGHUP: a broken file is rejected and the running configuration keeps serving; a valid
# one is applied as a difference: an unchanged instance does not flap, an added one starts,
# a changed priority takes effect, a removed instance hands over.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2 inside
# web carries a second VIP with a label and a scope, as D2 configures it
web() { instance_yaml web eth0 51 "$1" "$VIP/24, { address: 10.97.0.1/24, label: 'eth0:vip', scope: link }" "${FAST[@]}"; }
gateway() { instance_yaml gateway eth1 52 "$1" "$INSIDE_VIP" "${FAST[@]}"; }
{ echo "vrrp:"; echo "  instances:"; web 101; } >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; web 100; gateway 100; } >"$(config d2)"
start d1; start d2
expect_vip_on d1 5
expect_vip_on d2 5 "$INSIDE_VIP" eth1
ip -n "$(ns d1)" addr show dev eth0 | grep "inet 10.97.0.1/24 scope link eth0:vip" >/dev/null ||
    fail "labelled VIP missing: $(ip -n "$(ns d1)" addr show dev eth0)"
transitions() { grep -c "web: entering" "$WORK/d1.log"; }
before=$(transitions)

say "reload with a broken file"
printf 'vrrp:\n  instances:\n    - name: web\n      vrid: 999\n' >"$(config d1)"
kill -HUP "${NODE_PID[d1]}"
expect_log d1 "reload rejected"
expect_log d1 "vrrp.instances\[0\].vrid: 999 is out of range"
running d1 || fail "directord exited on a bad reload"
expect_stays d1 1

say "reload adding an instance, web unchanged"
{ echo "vrrp:"; echo "  instances:"; web 101; gateway 120; } >"$(config d1)"
kill -HUP "${NODE_PID[d1]}"
expect_log d1 "reload done"
expect_vip_on d1 5 "$INSIDE_VIP" eth1
[ "$(transitions)" = "$before" ] || fail "the unchanged instance web changed state on reload"
log_has d1 "web: configuration changed" && fail "web was touched although unchanged"

say "reload lowering web's priority below d2: d2 preempts"
{ echo "vrrp:"; echo "  instances:"; web 90; gateway 120; } >"$(config d1)"
kill -HUP "${NODE_PID[d1]}"
expect_vip_on d2 3
expect_log d1 "web: effective priority 101 -> 90"

say "reload removing gateway: it hands over to d2 at once"
{ echo "vrrp:"; echo "  instances:"; web 90; } >"$(config d1)"
kill -HUP "${NODE_PID[d1]}"
expect_vip_on d2 2 "$INSIDE_VIP" eth1
expect_log d1 "gateway: removed from configuration"
say "PASS"
