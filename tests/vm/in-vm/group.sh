#!/bin/bash
# Inside the VM: a virtual-server group (keepalived's virtual_server_group) with traffic. Two VIPs
# and a port range are four IPVS services sharing two real servers: one probe per real server,
# a failure takes it out of every service at once, its return brings it back to all, and a reload
# that narrows the port range deletes one service and touches nothing else.
#   client (10.0.0.2) -- director (VIPs 10.0.0.100, .101, IPVS NAT) -- bridge -- rs1, rs2
set -u
. ./lib.sh
fail() {
    echo "FAIL: $*"; table; ip netns exec director ipvsadm -Lnc; tail -n 30 /tmp/director.log; exit 1
}
nat_topology rs1 rs2
ip -n director addr add 10.0.0.101/24 dev eth0
write_config() {
    cat >/tmp/director.yaml <<YAML
virtual_servers:
  - name: web
    group:
      - { address: 10.0.0.100, port: 80 }
      - { address: 10.0.0.101, port: 80 }
      - { address: 10.0.0.100, port: $1 }
    scheduler: rr
    forwarding: nat
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms, fall: 1 }
    real_servers: [{ address: 10.0.1.1:80 }, { address: 10.0.1.2:80 }]
YAML
}
services() { table | grep -c "^TCP "; }
destinations() { table | grep -c -- "-> $1 "; }
every_service() { for t in 10.0.0.100 10.0.0.101 10.0.0.100:8080 10.0.0.100:8081; do
    TARGET=$t expect_answers 4 "$1" "$2 at $t"; done; }

write_config 8080-8081
start director
ctl() { ip netns exec director ./directorctl -s /tmp/director.sock "$@"; }
wait_for 10 bash -c '[ "$(ip netns exec director ipvsadm -Ln | grep -c -- "-> 10.0.1.2:80 ")" = 4 ]' ||
    fail "rs2 never in the four services"
wait_for 5 bash -c '[ "$(ip netns exec director ipvsadm -Ln | grep -c -- "-> 10.0.1.1:80 ")" = 4 ]' ||
    fail "rs1 never in the four services"
[ "$(services)" = 4 ] || fail "expected 4 services, got $(services)"
grep -q "health checks: 2 monitors" /tmp/director.log || fail "not one probe per real server"
every_service "rs1=2 rs2=2 " "both in"
ctl status | grep -q "virtual server web: TCP 10.0.0.100:80 and 3 more services rr" ||
    fail "status does not show the group"

say "rs2 stops answering: out of all four services at once"
# Counted from here: under load the first probe at start may time out before rs2 is seen up.
downs=$(grep -c "10.0.1.2:80 DOWN" /tmp/director.log)
kill "$pid_rs2"
wait_for 5 bash -c '! ip netns exec director ipvsadm -Ln | grep -q -- "-> 10.0.1.2:80 "' ||
    fail "rs2 still in a service"
[ "$(grep -c "10.0.1.2:80 DOWN" /tmp/director.log)" = $((downs + 1)) ] ||
    fail "rs2's failure not told once"
every_service "rs1=4 " "rs2 out"

say "rs2 answers again: back in all four"
serve rs2
wait_for 5 bash -c '[ "$(ip netns exec director ipvsadm -Ln | grep -c -- "-> 10.0.1.2:80 ")" = 4 ]' ||
    fail "rs2 not back in the four services"
every_service "rs1=2 rs2=2 " "rs2 back"

say "a reload narrows the port range: one service deleted, nothing else touched"
changes=$(grep -c "ipvs: " /tmp/director.log)
write_config 8080
ctl reload >/dev/null || fail "reload"
wait_for 5 bash -c '[ "$(ip netns exec director ipvsadm -Ln | grep -c "^TCP ")" = 3 ]' ||
    fail "the narrowed group is not 3 services"
sleep 0.5
new=$(tail -n +"$((changes + 1))" <(grep "ipvs: " /tmp/director.log))
say "changes: $new"
[ "$new" = "$(grep "ipvs: " /tmp/director.log | tail -n 1)" ] &&
    grep -q "ipvs: delete service TCP 10.0.0.100:8081" <<<"$new" || fail "reload changed: $new"
[ "$(destinations 10.0.1.1:80)" = 3 ] && [ "$(destinations 10.0.1.2:80)" = 3 ] ||
    fail "real servers lost at the reload"
kill -TERM "$pid_director"; wait "$pid_director"
say "PASS"
