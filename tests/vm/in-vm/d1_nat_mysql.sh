#!/bin/bash
# Inside the VM, deployment D1 end to end, both directors from the example's one cluster file
# (examples/d1-nat-mysql.yaml, --node dlvs1 / dlvs2): DLVS1 (101, preempt: false) and DLVS2
# (100, preempt on), VRRPv2 with PASS auth at 1 s, the outside
# VIP and the real servers' gateway VIP in one sync group, NAT to the MySQL port, the
# connection-sync daemon following the outside instance. The MySQL check becomes a TCP check
# here (the VM has no MariaDB; the MySQL and Galera checks run against real servers in the
# `galera` and `healthcheck` tests) and a TCP echo service stands in for mysqld.
#  - DLVS1 dies (process killed, links cut): DLVS2 takes both VIPs; an established
#    connection goes on through it;
#  - DLVS1 comes back: no preemption (its sync daemon learns the connections as backup);
#  - DLVS2 is stopped (SIGTERM hands over): DLVS1 takes over at once, the connection goes on.
set -u
VIP=192.168.80.111
. ./lib.sh
fail() {
    echo "FAIL: $*"
    for d in d1 d2; do echo "--- $d"; ip netns exec $d ipvsadm -Lnc; tail -n 15 /tmp/$d.log; done
    exit 1
}
for ns in sw client d1 d2 rs1 rs2; do ip netns add $ns; ip -n $ns link set lo up; done
for br in out in; do ip -n sw link add $br type bridge; ip -n sw link set $br up; done
wire client eth0 out 192.168.80.50/24
wire rs1 eth0 in 10.80.1.167/24
wire rs2 eth0 in 10.80.1.136/24
for rs in rs1 rs2; do ip -n $rs route add default via 10.80.1.254; done
for i in 1 2; do
    wire d$i eth2 out 192.168.80.1$i/24
    wire d$i eth1 in 10.80.1.1$i/24
    ip netns exec d$i sysctl -qw net.ipv4.ip_forward=1
done
# The "mysqld" of each real server: an echo server, one process per connection (the checks
# connect beside the client's long-lived connection).
for rs in rs1 rs2; do ip netns exec $rs busybox nc -ll -p 3306 -e cat & done

tcp_check='s/{ mysql: { user: monitor, password_file: \/etc\/directord\/mysql.pass },/{ tcp: {},/'
CLUSTER=/tmp/d1-nat-mysql.yaml
sed -e "$tcp_check" d1-nat-mysql.yaml >$CLUSTER
grep -q "tcp: {}" $CLUSTER || fail "the example's check line changed: update this test"
has_vips() {
    ip -n "$1" addr show dev eth2 | grep "$VIP/24" >/dev/null &&
        ip -n "$1" addr show dev eth1 | grep "10.80.1.254/24" >/dev/null
}
no_vips() {
    ! ip -n "$1" addr show dev eth2 | grep "$VIP/24" >/dev/null &&
        ! ip -n "$1" addr show dev eth1 | grep "10.80.1.254/24" >/dev/null
}
synced_to() { ip netns exec "$1" ipvsadm -Lnc | grep -q "ESTABLISHED.*192.168.80.50:.*$VIP:3306"; }

start d1 $CLUSTER --node dlvs1
wait_for 10 has_vips d1 || fail "DLVS1 did not become master of both instances"
start d2 $CLUSTER --node dlvs2
wait_for 10 grep -qs "sync daemon now backup" /tmp/d2.log || fail "DLVS2's sync daemon is not backup"
grep -q "sync daemon now master" /tmp/d1.log || fail "DLVS1's sync daemon is not master"
for rs in 10.80.1.167 10.80.1.136; do
    director=d1 wait_table 10 "-> $rs:3306 Masq 1" || fail "$rs not programmed"
done

mkfifo /tmp/in
ip netns exec client busybox nc $VIP 3306 </tmp/in >/tmp/out &
exec 3>/tmp/in
echo one >&3
wait_for 5 grep -qs one /tmp/out || fail "no answer through DLVS1"
# The sync daemon sends a connection after its first packets and then every 50: keep talking.
for i in $(seq 60); do echo "keep $i" >&3; synced_to d2 && break; sleep 0.05; done
wait_for 5 synced_to d2 || fail "the connection was not synced to DLVS2"
say "the connection through DLVS1 is in DLVS2's table"

say "DLVS1 dies: process killed, links cut"
kill -KILL "$pid_d1"; wait "$pid_d1" 2>/dev/null
ip -n d1 link set eth2 down; ip -n d1 link set eth1 down
wait_for 10 has_vips d2 || fail "DLVS2 did not take both VIPs"
echo two >&3
wait_for 5 grep -qs two /tmp/out || fail "the connection did not survive the fail-over"
say "fail-over: the connection goes on through DLVS2"

say "DLVS1 comes back: preempt: false, it stays backup"
ip -n d1 link set eth2 up; ip -n d1 link set eth1 up
ip -n d1 addr flush dev eth2 scope global; ip -n d1 addr flush dev eth1 scope global
ip -n d1 addr add 192.168.80.11/24 dev eth2; ip -n d1 addr add 10.80.1.11/24 dev eth1
: >/tmp/d1.log
start d1 $CLUSTER --node dlvs1
wait_for 15 grep -qs "sync daemon now backup" /tmp/d1.log || fail "DLVS1's sync daemon is not backup"
for i in $(seq 100); do echo "keep back $i" >&3; synced_to d1 && break; sleep 0.05; done
wait_for 5 synced_to d1 || fail "the connection was not synced back to DLVS1"
sleep 4  # longer than a master-down interval: a preempting node would have taken over
has_vips d2 || fail "DLVS1 preempted despite preempt: false"
no_vips d1 || fail "both directors hold VIPs"
echo three >&3
wait_for 5 grep -qs three /tmp/out || fail "the connection broke while DLVS1 came back"

say "DLVS2 stopped (SIGTERM): DLVS1 takes over at once"
kill -TERM "$pid_d2"; wait "$pid_d2"
wait_for 3 has_vips d1 || fail "DLVS1 did not take over"
sleep 0.3
echo four >&3
wait_for 5 grep -qs four /tmp/out || fail "the connection did not survive the fail-back"
say "fail-back: the connection goes on through DLVS1"
exec 3>&-
kill -TERM "$pid_d1"; wait "$pid_d1"
say "PASS"
