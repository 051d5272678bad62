#!/bin/bash
# Inside the VM: a virtual server's notify program (keepalived's notify_up / notify_down and
# quorum_up / quorum_down) with IPVS and traffic. Its arguments and environment, the order of
# the events (the check's verdict before the quorum change it causes), and one run at a time.
#   client (10.0.0.2) -- director (VIP 10.0.0.100, IPVS NAT) -- bridge -- rs1, rs2
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; table; cat /tmp/hooks.log; tail -n 30 /tmp/director.log; exit 1; }
nat_topology rs1 rs2
cat >/tmp/hook.sh <<'SH'
#!/bin/sh
[ "$(id -u)" = 65534 ] || echo "ran as uid $(id -u), not nobody's" >>/tmp/hooks.log
echo "begin $1 $DIRECTORD_EVENT $DIRECTORD_VIRTUAL_SERVER ${DIRECTORD_REAL_SERVER:-} ${DIRECTORD_LIVE_WEIGHT:-}/${DIRECTORD_QUORUM:-} ${DIRECTORD_REASON:-}" >>/tmp/hooks.log
sleep 0.3  # a slow hook: the next one must wait for it
echo end >>/tmp/hooks.log
SH
chmod 755 /tmp/hook.sh
: >/tmp/hooks.log
chown 65534 /tmp/hooks.log  # hooks run as nobody, the default user
hooks_done() { [ "$(grep -c "^end" /tmp/hooks.log)" = "$1" ]; }

cat >/tmp/director.yaml <<YAML
virtual_servers:
  - { name: web, address: 10.0.0.100:80, scheduler: rr, forwarding: nat, quorum: 2,
      check: { tcp: {}, interval: 200ms, timeout: 500ms },
      notify: [/tmp/hook.sh, from-directord],
      real_servers: [{ address: 10.0.1.1:80 },
                     { address: 10.0.1.2:80, file_check: { path: /run/rs2-down } }] }
YAML
start director
wait_table 10 "-> 10.0.1.2:80 Masq 1" || fail "web never programmed"
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "rs1 never programmed"
wait_for 5 hooks_done 2 || fail "not 2 hooks at the start"
grep -q "ran as" /tmp/hooks.log && fail "a hook did not run as nobody"

say "rs1's server stops: its check fails, then the quorum is lost"
kill "$pid_rs1"
wait_table 5 "-> 10.0.1.1:80 " absent || fail "rs1 still in the table"
expect_answers 4 "rs2=4 " "rs2 alone"
wait_for 5 hooks_done 4 || fail "not 2 more hooks"
say "rs1's server is back"
serve rs1
wait_table 5 "-> 10.0.1.1:80 Masq 1" || fail "rs1 not back"
wait_for 5 hooks_done 6 || fail "not 2 more hooks"
say "rs2's file says 1, then is removed: the same events, the file's reading as the reason"
echo 1 >/run/rs2-down
wait_table 5 "-> 10.0.1.2:80 " absent || fail "rs2 still in the table"
wait_for 5 hooks_done 8 || fail "not 2 more hooks"
rm /run/rs2-down
wait_table 5 "-> 10.0.1.2:80 Masq 1" || fail "rs2 not back"
wait_for 5 hooks_done 10 || fail "not 2 more hooks"
cat /tmp/hooks.log

# One at a time: every begin is followed by its end.
awk 'NR % 2 == 1 && $1 != "begin" || NR % 2 == 0 && $1 != "end" { bad = 1 } END { exit bad }' \
    /tmp/hooks.log || fail "hooks overlapped"
events=$(grep "^begin" /tmp/hooks.log | cut -d' ' -f2-6)
sorted_start=$(head -n 2 <<<"$events" | sort)
expected_start="from-directord real_server_up web 10.0.1.1:80 /
from-directord real_server_up web 10.0.1.2:80 /"
[ "$sorted_start" = "$expected_start" ] || fail "start: $sorted_start"
expected_rest="from-directord real_server_down web 10.0.1.1:80 /
from-directord quorum_lost web  1/2
from-directord real_server_up web 10.0.1.1:80 /
from-directord quorum_reached web  2/2
from-directord real_server_down web 10.0.1.2:80 /
from-directord quorum_lost web  1/2
from-directord real_server_up web 10.0.1.2:80 /
from-directord quorum_reached web  2/2"
[ "$(tail -n 8 <<<"$events")" = "$expected_rest" ] || fail "events: $(tail -n 8 <<<"$events")"
grep -q "real_server_down web 10.0.1.2:80 / file /run/rs2-down reads 1" /tmp/hooks.log ||
    fail "the file's reading is not the reason"
grep -q "real_server_down web 10.0.1.1:80 / .*refused" /tmp/hooks.log || fail "no reason given"
kill -TERM "$pid_director"; wait "$pid_director"
say "PASS"
