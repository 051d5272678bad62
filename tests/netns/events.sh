#!/usr/bin/env bash
# The event stream: `directorctl events` on the backup sees, as JSON lines, a real server going
# down and up with the check's reason, a drain with who asked, a reload, and the fail-over when
# the master is killed (BACKUP->MASTER with its reason); `status --watch` prints the table again
# after the fail-over; a ninth client is refused while eight follow; a client that goes away
# is let go.
. "$(dirname "$0")/../../scripts/lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
lab_up 2
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}"; } >"$(config d1)"
{
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"
    echo "virtual_servers:"
    virtual_server_yaml www "$VIP:80" "{ tcp: {}, interval: 200ms }" "[{ address: 127.0.0.1:8081 }]"
} >"$(config d2)"
ip netns exec "$(ns d2)" socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
LISTENER=$!
LAB_PIDS+=($!)
start d1
start d2
expect_vip_on d1 5
expect_log d2 "127.0.0.1:8081 UP"
ctl() { "$DIRECTORCTL" -s "$(control_socket d2)" "$@"; }

"$DIRECTORCTL" -s "$(control_socket d2)" events >"$WORK/events.jsonl" 2>"$WORK/events.err" &
EVENTS=$!
LAB_PIDS+=($!)
"$DIRECTORCTL" -s "$(control_socket d2)" status --watch >"$WORK/watch.txt" 2>&1 &
LAB_PIDS+=($!)
# One JSON object per line, each with a time; `seen FILTER` waits for one that matches.
has_event() { jq -e -s "map(select($1)) | length > 0" "$WORK/events.jsonl" >/dev/null 2>&1; }
seen() { wait_for "${2:-5}" has_event "$1" || fail "no event $1 in: $(cat "$WORK/events.jsonl")"; }
# the events client itself: the watch may connect first (it did, once, under ASan on CI)
expect_log d2 "control: events followed by uid 0 pid $EVENTS directorctl"

say "a real server down and up"
kill "$LISTENER"
seen '.type == "real_server" and .virtual_server == "www" and .real_server == "127.0.0.1:8081" and .up == false and (.reason | test("refused"))'
ip netns exec "$(ns d2)" socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
LAB_PIDS+=($!)
seen '.type == "real_server" and .up == true'

say "a drain, a reload"
ctl drain www 127.0.0.1:8081 >/dev/null
seen '.type == "operator_weight" and .weight == 0 and (.asked_by | test("^uid 0 pid [0-9]+ directorctl$"))'
ctl reload >/dev/null
seen '.type == "reload" and .result == "done"'

say "eight clients follow; a ninth is refused"
for _ in 1 2 3 4 5 6; do  # beside the two above; not through ctl, so $! is directorctl's
    "$DIRECTORCTL" -s "$(control_socket d2)" events >/dev/null 2>&1 &
    LAB_PIDS+=($!)
done
following() { [ "$(grep -c "control: events followed by" "$WORK/d2.log")" -ge 8 ]; }
wait_for 5 following || fail "eight clients do not follow"
rc=0
out=$(ctl events 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "a ninth client exits $rc"
[ "$out" = "directorctl: 8 clients already follow the events" ] || fail "a ninth client was told: $out"
kill "${LAB_PIDS[@]: -6}" 2>/dev/null  # six go away: a new one is let in
sleep 0.2
timeout 1 "$DIRECTORCTL" -s "$(control_socket d2)" events >"$WORK/late.jsonl" 2>&1 || true
grep -q "directorctl:" "$WORK/late.jsonl" && fail "a client was refused after six went away: $(cat "$WORK/late.jsonl")"

say "fail-over seen by the backup's stream"
stop d1 KILL
ip -n "$(ns d1)" addr del "$VIP/24" dev eth0
expect_vip_on d2 3
seen '.type == "vrrp" and .instance == "web" and .from == "BACKUP" and .to == "MASTER" and (.reason | test("master 10.99.0.1 down")) and .priority == 100'
jq -e -s 'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))' "$WORK/events.jsonl" >/dev/null ||
    fail "an event without a time"
watched() { grep -qE "^web +eth0 +51 +MASTER " "$WORK/watch.txt"; }
wait_for 5 watched || fail "status --watch did not show MASTER: $(tail -n 20 "$WORK/watch.txt")"
grep -q '^--- after: {"from":"BACKUP"' "$WORK/watch.txt" || grep -q '^--- after: .*"to":"MASTER"' "$WORK/watch.txt" ||
    fail "status --watch does not say which event: $(grep -- '^---' "$WORK/watch.txt")"

say "the stream ends with the daemon"
stop d2
wait "$EVENTS" && fail "directorctl events exited 0 when the daemon stopped"
grep -q "directord closed the event stream" "$WORK/events.err" || fail "events said: $(cat "$WORK/events.err")"
say "PASS: $(wc -l <"$WORK/events.jsonl") events"
