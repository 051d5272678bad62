#!/bin/bash
# Inside the VM, deployment D1's open problem: two directors (a sync group of the outside VIP
# and the real servers' inside gateway VIP, NAT), the kernel's connection-sync daemon following
# the VRRP role. An established connection through d1 must go on through d2 after a fail-over
# and through d1 again after the fail-back.
set -u
. ./lib.sh
fail() {
    echo "FAIL: $*"
    for d in d1 d2; do echo "--- $d"; ip netns exec $d ipvsadm -Lnc; tail -n 15 /tmp/$d.log; done
    exit 1
}
for ns in sw client d1 d2 rs1; do ip netns add $ns; ip -n $ns link set lo up; done
for br in out in; do ip -n sw link add $br type bridge; ip -n sw link set $br up; done
wire client eth0 out 10.0.0.2/24
wire rs1 eth0 in 10.0.1.1/24
ip -n rs1 route add default via 10.0.1.254
for i in 1 2; do
    wire d$i eth0 out 10.0.0.1$i/24
    wire d$i eth1 in 10.0.1.1$i/24
    ip netns exec d$i sysctl -qw net.ipv4.ip_forward=1
done
ip netns exec rs1 busybox nc -l -p 9000 -e cat &   # echoes one connection

write_config() {  # NAME PRIORITY [extra instance lines]
    local name=$1 prio=$2 extra=${3:-}
    cat >/tmp/$name.yaml <<YAML
vrrp:
  instances:
    - { name: outside, interface: eth0, vrid: 51, priority: $prio, version: 3, advert_interval: 100ms, vips: [10.0.0.100/24] $extra }
    - { name: inside, interface: eth1, vrid: 52, priority: $prio, version: 3, advert_interval: 100ms, vips: [10.0.1.254/24] $extra }
  sync_groups:
    - { name: nat, instances: [outside, inside] }
virtual_servers:
  - address: 10.0.0.100:9000
    scheduler: rr
    forwarding: nat
    real_servers: [{ address: 10.0.1.1:9000 }]
ipvs:
  sync_daemon: { interface: eth1, instance: outside, sync_id: 51 }
YAML
}
write_config d1 101 ", preempt_delay: 4s"
write_config d2 100
has_vip() { ip -n "$1" addr show dev eth0 | grep -q 10.0.0.100/24; }
synced_to() { ip netns exec "$1" ipvsadm -Lnc | grep -q "ESTABLISHED.*10.0.0.2:.*10.0.0.100:9000.*10.0.1.1:9000"; }

start d1
wait_for 10 has_vip d1 || fail "d1 did not become master"
start d2
wait_for 5 grep -qs "entering BACKUP" /tmp/d2.log || fail "d2 did not become backup"
wait_for 5 grep -qs "sync daemon now backup" /tmp/d2.log || fail "d2's sync daemon is not backup"
grep -q "sync daemon now master" /tmp/d1.log || fail "d1's sync daemon is not master"

mkfifo /tmp/in
ip netns exec client busybox nc 10.0.0.100 9000 </tmp/in >/tmp/out &
exec 3>/tmp/in
echo one >&3
wait_for 5 grep -qs one /tmp/out || fail "no echo through d1"
# The sync daemon sends a connection after its first packets and then every 50: keep talking.
for i in $(seq 60); do echo "keep $i" >&3; synced_to d2 && break; sleep 0.05; done
wait_for 5 synced_to d2 || fail "the connection was not synced to d2"
say "connection through d1 is in d2's table"

kill -TERM "$pid_d1"; wait "$pid_d1"
wait_for 5 has_vip d2 || fail "d2 did not take over"
wait_for 5 grep -qs "sync daemon now master" /tmp/d2.log || fail "d2's sync daemon did not become master"
echo two >&3
wait_for 5 grep -qs two /tmp/out || fail "the connection did not survive the fail-over"
say "fail-over: the connection goes on through d2"

start d1  # preempts after its 4 s delay, meanwhile its backup daemon learns the connection
for i in $(seq 100); do echo "keep back $i" >&3; synced_to d1 && break; sleep 0.05; done
wait_for 5 synced_to d1 || fail "the connection was not synced back to d1"
wait_for 10 has_vip d1 || fail "d1 did not take the VIPs back"
wait_for 5 grep -qs "sync daemon now backup" /tmp/d2.log || fail "d2's sync daemon did not return to backup"
sleep 0.3
echo three >&3
wait_for 5 grep -qs three /tmp/out || fail "the connection did not survive the fail-back"
say "fail-back: the connection goes on through d1"
exec 3>&-
kill -TERM "$pid_d1" "$pid_d2"; wait "$pid_d1" "$pid_d2"
say "PASS"
