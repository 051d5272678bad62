#!/bin/bash
# Inside the VM (its kernel has 802.1Q, which the namespace tests' host may lack): a VLAN
# interface that does not exist when directord starts, appears later, is deleted on the
# master and created again. The instance on it follows without a restart; the other
# instance (on eth0) is never disturbed.
set -u
. ./lib.sh
fail() {
    echo "FAIL: $*"
    for d in d1 d2; do echo "--- $d"; tail -n 20 /tmp/$d.log; done
    exit 1
}
for ns in sw d1 d2; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n sw link add out type bridge
ip -n sw link set out up
for i in 1 2; do
    wire d$i eth0 out 10.0.0.1$i/24
    cat >/tmp/d$i.yaml <<YAML
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, priority: 10$((2 - i)), version: 3, advert_interval: 100ms, vips: [10.0.0.100/24] }
    - { name: vlan, interface: eth0.10, vrid: 53, priority: 10$((2 - i)), version: 3, advert_interval: 100ms, vips: [10.0.10.100/24] }
YAML
done
vlan_up() {  # vlan_up NODE
    ip -n "$1" link add link eth0 name eth0.10 type vlan id 10 || fail "cannot create eth0.10 on $1"
    ip -n "$1" addr add "10.0.10.1${1#d}/24" dev eth0.10
    ip -n "$1" link set eth0.10 up
}
has() { ip -n "$1" addr show dev "$2" 2>/dev/null | grep -q "$3/24"; }
start d1
start d2
wait_for 10 has d1 eth0 10.0.0.100 || fail "d1 did not become master of web"
wait_for 5 grep -qs "vlan: starting on eth0.10 .*interface eth0.10 missing, FAULT until it is created" /tmp/d1.log ||
    fail "the missing VLAN interface was not reported"

say "eth0.10 created on both: the vlan instance joins, d1 wins"
vlan_up d1
vlan_up d2
wait_for 10 has d1 eth0.10 10.0.10.100 || fail "d1 did not take the VLAN VIP"
wait_for 3 grep -qs "vlan: interface eth0.10 appeared" /tmp/d1.log || fail "no 'appeared' line"
has d2 eth0.10 10.0.10.100 && fail "both hold the VLAN VIP"

say "eth0.10 deleted on d1 (MASTER): d2 takes the VLAN VIP, web stays on d1"
ip -n d1 link del eth0.10
wait_for 5 has d2 eth0.10 10.0.10.100 || fail "d2 did not take the VLAN VIP"
grep -q "vlan: entering FAULT state (interface eth0.10 missing" /tmp/d1.log || fail "no FAULT line on d1"
has d1 eth0 10.0.0.100 || fail "web left d1 when the VLAN went"

say "eth0.10 created again on d1: it preempts"
vlan_up d1
wait_for 10 has d1 eth0.10 10.0.10.100 || fail "d1 did not take the VLAN VIP back"
released_by_d2() { ! has d2 eth0.10 10.0.10.100; }
wait_for 3 released_by_d2 || fail "d2 kept the VLAN VIP beside d1"
grep -q "web: entering FAULT" /tmp/d1.log && fail "web was disturbed"
kill "$pid_d1" "$pid_d2"
wait
say "PASS"
