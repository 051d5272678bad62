#!/bin/bash
# Inside the VM: directord programs IPVS for a NAT web service and keeps it right as real
# servers fail and recover, with real traffic from a client namespace; a reload that adds
# and removes real servers leaves a long-lived connection through an unchanged one alone.
#   client (10.0.0.2) -- director (VIP 10.0.0.100, IPVS NAT) -- bridge -- rs1, rs2, sorry
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; ip netns exec director ipvsadm -Ln; tail -n 30 /tmp/directord.log; exit 1; }
nat_topology rs1 rs2 sorry

write_config() {  # on_failure echo-real-server...
    local failure=$1
    shift
    cat >/tmp/directord.yaml <<YAML
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: wrr
    forwarding: nat
    on_failure: $failure
    sorry_server: 10.0.1.3:80
    quorum: 2
    quorum_hysteresis: 1
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms }
    real_servers:
      - { address: 10.0.1.1:80, weight: 1 }
      - { address: 10.0.1.2:80, weight: 2 }
  - name: echo
    address: 10.0.0.100:9000
    scheduler: rr
    real_servers:
YAML
    local rs
    for rs in "$@"; do echo "      - { address: $rs }" >>/tmp/directord.yaml; done
}
write_config remove 10.0.1.1:9000 10.0.1.3:9000
# A service added by hand: not directord's, left alone.
ip netns exec director ipvsadm -A -t 10.0.0.100:2222 -s rr
ip netns exec director ./directord -f /tmp/directord.yaml --foreground >/tmp/directord.log 2>&1 &
directord=$!


wait_table 10 "-> 10.0.1.2:80 Masq 2" || fail "rs2 never programmed"
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "rs1 never programmed"
wait_table 5 "10.0.1.3:80" absent || fail "the sorry server is in while servers are up"
expect_answers 6 "rs1=2 rs2=4 " "both up"

kill "$pid_rs2"
wait_table 5 "10.0.1.2:80" absent || fail "failed rs2 was not removed"
expect_answers 4 "rs1=4 " "rs2 down"
grep -q "10.0.1.2:80 DOWN" /tmp/directord.log || fail "no DOWN line for rs2"

# A long-lived connection through rs1:9000 (the other echo server is not listening: rr picks
# rs1 for the first connection or the second).
ip netns exec rs1 busybox nc -l -p 9000 -e cat &
for _ in 1 2; do
    (sleep 60 | ip netns exec client busybox nc 10.0.0.100 9000 >/dev/null 2>&1) &
    sleep 0.3
    ip netns exec director ipvsadm -Lnc | grep -q "ESTABLISHED.*10.0.1.1:9000" && break
done
ip netns exec director ipvsadm -Lnc | grep -q "ESTABLISHED.*10.0.1.1:9000" ||
    fail "no long-lived connection through rs1:9000"

say "reload with on_failure: inhibit, echo: rs1 kept, 10.0.1.3 removed, 10.0.1.2 added"
: >/tmp/before-reload.log; cp /tmp/directord.log /tmp/before-reload.log
write_config inhibit 10.0.1.1:9000 10.0.1.2:9000
kill -HUP $directord
wait_table 5 "-> 10.0.1.2:80 Masq 0" || fail "inhibited rs2 not at weight 0"
wait_table 5 "-> 10.0.1.2:9000 Masq 1" || fail "added echo server missing"
wait_table 5 "10.0.1.3:9000" absent || fail "removed echo server still there"
ip netns exec director ipvsadm -Lnc | grep -q "ESTABLISHED.*10.0.1.1:9000" ||
    fail "the reload broke the connection through the unchanged rs1:9000"
table | grep -q -- "-> 10.0.1.1:9000 Masq 1 1 " || fail "rs1:9000 lost its active connection"
reload_lines=$(diff /tmp/before-reload.log /tmp/directord.log | grep -c "ipvs: " || true)
diff /tmp/before-reload.log /tmp/directord.log | grep "ipvs: .*10.0.1.1:9000" &&
    fail "the reload touched the unchanged rs1:9000"
say "reload applied $reload_lines changes, the connection through rs1:9000 lives on"
expect_answers 4 "rs1=4 " "rs2 inhibited"

kill "$pid_rs1"
wait_table 5 "-> 10.0.1.3:80" || fail "no sorry server with every real server down"
expect_answers 3 "sorry=3 " "all down"
grep -q "web: quorum lost" /tmp/directord.log || fail "no quorum line"

serve rs1
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "recovered rs1 did not get its weight back"
# Live weight 1 < quorum 2 + hysteresis 1: the sorry server stays beside rs1.
sleep 0.5
table | grep -q -- "-> 10.0.1.3:80" || fail "the sorry server left before quorum + hysteresis"
expect_answers 4 "rs1=2 sorry=2 " "rs1 back, quorum still lost"
serve rs2
wait_table 5 "-> 10.0.1.2:80 Masq 2" || fail "recovered rs2 did not get its weight back"
wait_table 5 "10.0.1.3:80" absent || fail "the sorry server stayed after recovery"
grep -q "web: quorum reached (live weight 3, quorum 2): sorry server withdrawn" /tmp/directord.log ||
    fail "no quorum line"
expect_answers 6 "rs1=2 rs2=4 " "both back"

table | grep -q "TCP 10.0.0.100:2222 rr" || fail "directord removed a service it does not manage"
kill -TERM $directord; wait $directord
table | grep -q "TCP 10.0.0.100:80 wrr" || fail "SIGTERM removed the table (default: keep)"

say "restart over the running table (now with on_stop: remove)"
printf 'ipvs: { on_stop: remove }\n' >>/tmp/directord.yaml
ip netns exec director ./directord -f /tmp/directord.yaml --foreground >/tmp/restart.log 2>&1 &
directord=$!
expect_answers 6 "rs1=2 rs2=4 " "while restarting"
# Polled: an ASan build under emulation may take seconds to start.
wait_for 20 grep -qs "ipvs: 3 services in the kernel at start" /tmp/restart.log || fail "no adoption line"
sleep 1.5  # every check has had its first result
grep "ipvs: \(add\|update\|delete\)" /tmp/restart.log && fail "the restart touched the adopted table"
expect_answers 6 "rs1=2 rs2=4 " "after the restart"
kill -TERM $directord; wait $directord
table | grep -q "10.0.0.100:80 " && fail "on_stop: remove left the web service"
table | grep -q "TCP 10.0.0.100:2222 rr" || fail "on_stop: remove removed a service it does not manage"

say "unmanaged: remove"
sed -i 's/^ipvs: .*/ipvs: { unmanaged: remove }/' /tmp/directord.yaml
ip netns exec director ./directord -f /tmp/directord.yaml --foreground >/tmp/unmanaged.log 2>&1 &
directord=$!
wait_table 5 "10.0.0.100:2222" absent || fail "unmanaged: remove left the hand-made service"
wait_table 5 "-> 10.0.1.2:80 Masq 2" || fail "web not programmed"
kill -TERM $directord; wait $directord
say "PASS"
