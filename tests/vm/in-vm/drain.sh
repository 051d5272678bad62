#!/bin/bash
# Inside the VM: directorctl drain with traffic. A drained real server gets no new connections
# while an established one goes on; the drain holds across a reload and a restart (its weight
# never leaves 0 in the kernel, polled throughout); undrain gives the traffic back.
#   client (10.0.0.2) -- director (VIP 10.0.0.100, IPVS NAT) -- bridge -- rs1, rs2
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; table; tail -n 30 /tmp/director.log; exit 1; }
nat_topology rs1 rs2
# One echo server on rs1: the established connection of the test.
ip netns exec rs1 busybox nc -l -p 9000 -e cat &

cat >/tmp/director.yaml <<YAML
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: rr
    forwarding: nat
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms }
    real_servers: [{ address: 10.0.1.1:80 }, { address: 10.0.1.2:80 }]
  - name: echo
    address: 10.0.0.100:9000
    forwarding: nat
    real_servers: [{ address: 10.0.1.1:9000 }]
YAML
STATE=/tmp/state.json
start director /tmp/director.yaml --state-file "$STATE"
ctl() { ip netns exec director ./directorctl -s /tmp/director.sock "$@"; }
wait_table 10 "-> 10.0.1.1:80 Masq 1" || fail "rs1 never programmed"
wait_table 5 "-> 10.0.1.2:80 Masq 1" || fail "rs2 never programmed"
expect_answers 6 "rs1=3 rs2=3 " "both in"

say "an established connection through rs1:9000"
mkfifo /tmp/to_echo
ip netns exec client busybox nc 10.0.0.100 9000 </tmp/to_echo >/tmp/from_echo &
exec 7>/tmp/to_echo
echo before >&7
wait_for 5 grep -qs before /tmp/from_echo || fail "the echo connection does not work"

say "drain both servers of rs1"
ctl drain web 10.0.1.1:80 || fail "drain web"
ctl drain echo 10.0.1.1:9000 || fail "drain echo"
wait_table 5 "-> 10.0.1.1:80 Masq 0" || fail "rs1:80 not at weight 0"
wait_table 5 "-> 10.0.1.1:9000 Masq 0 1 " || fail "rs1:9000 not at weight 0 with its connection"
expect_answers 6 "rs2=6 " "rs1 drained"
echo after >&7
wait_for 5 grep -qs after /tmp/from_echo || fail "the established connection stopped at the drain"
# A new connection finds no server with a weight: none is sent to rs1:9000 (its one echo
# listener would refuse it, leaving an inactive entry).
ip netns exec client timeout 2 busybox nc 10.0.0.100 9000 </dev/null >/dev/null 2>&1 || true
table | grep -q -- "-> 10.0.1.1:9000 Masq 0 1 0" || fail "a new connection went to drained rs1:9000"

say "reload and restart: the weight never leaves 0"
# The kernel's table polled every 20 ms from here to the end of the restart.
: >/tmp/weights
(while [ ! -e /tmp/stop_poll ]; do table | grep -- "-> 10.0.1.1:80 " >>/tmp/weights; sleep 0.02; done) &
poller=$!
ctl reload >/dev/null || fail "reload"
kill -TERM "$pid_director"; wait "$pid_director"
: >/tmp/director.log  # the restart's own lines
start director /tmp/director.yaml --state-file "$STATE"
wait_for 10 grep -qs "web 10.0.1.1:80: drained (weight 0) (kept in $STATE)" /tmp/director.log ||
    fail "the restart did not restore the drain"
sleep 1.5  # every check has had its first result since the restart
touch /tmp/stop_poll; wait "$poller"
polls=$(wc -l </tmp/weights)
grep -v "Masq 0 " /tmp/weights && fail "rs1:80 had a weight other than 0 during the reload or restart"
say "rs1:80 at weight 0 in all $polls polls across the reload and the restart"
[ "$polls" -ge 3 ] || fail "only $polls polls"  # ipvsadm takes ~0.3 s under emulation
grep "ipvs: update destination 10.0.1.1:80" /tmp/director.log &&
    fail "the restarted directord changed rs1:80 in the kernel"
grep -q "ipvs: 2 services in the kernel at start" /tmp/director.log || fail "no adoption line"
expect_answers 6 "rs2=6 " "still drained after the restart"
echo again >&7
wait_for 5 grep -qs again /tmp/from_echo || fail "the established connection stopped at the restart"

say "undrain"
ctl undrain web 10.0.1.1:80 || fail "undrain"
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "rs1:80 not back to weight 1"
expect_answers 6 "rs1=3 rs2=3 " "undrained"
exec 7>&-
kill -TERM "$pid_director"; wait "$pid_director"
say "PASS"
