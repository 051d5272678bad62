#!/bin/bash
# Inside the VM: file checks (keepalived's FILE_CHECK) with traffic. A number written in one
# real server's file takes it out of the service although its HTTP check passes; a number in the
# other's moves its weight (written aside and renamed into place); a reload keeps both; removing
# the file gives the first one back.
#   client (10.0.0.2) -- director (VIP 10.0.0.100, IPVS NAT) -- bridge -- rs1, rs2
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; table; tail -n 30 /tmp/director.log; exit 1; }
nat_topology rs1 rs2
mkdir -p /run/lb
echo 0 >/run/lb/rs1-down
echo 0 >/run/lb/rs2-weight

cat >/tmp/director.yaml <<YAML
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: wrr
    forwarding: nat
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms }
    real_servers:
      - { address: 10.0.1.1:80, file_check: { path: /run/lb/rs1-down } }
      - { address: 10.0.1.2:80, file_check: { path: /run/lb/rs2-weight, weight: 2 } }
YAML
start director
ctl() { ip netns exec director ./directorctl -s /tmp/director.sock "$@"; }
wait_table 10 "-> 10.0.1.1:80 Masq 1" || fail "rs1 never programmed"
wait_table 5 "-> 10.0.1.2:80 Masq 1" || fail "rs2 never programmed"
expect_answers 6 "rs1=3 rs2=3 " "both in"

say "rs1's file says 1: rs1 leaves although its check passes"
echo 1 >/run/lb/rs1-down
wait_table 5 "-> 10.0.1.1:80 " absent || fail "rs1 still in the table"
grep -q "web 10.0.1.1:80: file /run/lb/rs1-down reads 1: down" /tmp/director.log ||
    fail "no log line for rs1's file"
ctl status | grep -E "10.0.1.1:80 .*down" || fail "status does not show rs1 down"
expect_answers 6 "rs2=6 " "rs1 out"

say "rs2's file says 1 (weight 2): rs2 at weight 1 + 2"
echo 1 >/run/lb/rs2-weight.new
mv /run/lb/rs2-weight.new /run/lb/rs2-weight
wait_table 5 "-> 10.0.1.2:80 Masq 3" || fail "rs2 not at weight 3"
grep -q "web 10.0.1.2:80: file /run/lb/rs2-weight reads 1: up, weight +2" /tmp/director.log ||
    fail "no log line for rs2's file"

say "a reload changes nothing"
ctl reload >/dev/null || fail "reload"
sleep 1
table | grep -q -- "-> 10.0.1.1:80 " && fail "rs1 came back at the reload"
table | grep -q -- "-> 10.0.1.2:80 Masq 3" || fail "rs2 lost its weight at the reload"
[ "$(grep -c "reads" /tmp/director.log)" = 4 ] || fail "the reload logged file readings again"

say "rs1's file removed (reads 0): rs1 back; wrr 1:3"
rm /run/lb/rs1-down
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "rs1 not back"
grep -q "web 10.0.1.1:80: file /run/lb/rs1-down is missing (counts as 0): up" /tmp/director.log ||
    fail "no log line for the removal"
expect_answers 8 "rs1=2 rs2=6 " "rs1 back, rs2 at weight 3"
kill -TERM "$pid_director"; wait "$pid_director"
say "PASS"
