#!/usr/bin/env bash
# Under systemd, log entries go to the journal with the event's fields. directord runs with
# stderr on a file and JOURNAL_STREAM naming that file (as systemd names the stream it
# connects), in a private mount namespace whose /run/systemd/journal/socket is a datagram
# socket of the test: libsystemd's native protocol is read back from it. Checked: the state
# change carries INSTANCE, VRID, STATE and REASON, a real server's check VIRTUAL_SERVER,
# REAL_SERVER and STATE, with PRIORITY and SYSLOG_IDENTIFIER; nothing of them reaches stderr.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 1
{
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}"
    echo "virtual_servers:"
    virtual_server_yaml www "$VIP:80" "{ tcp: {}, interval: 200ms }" "[{ address: 127.0.0.1:8081 }]"
} >"$(config d1)"
ip netns exec "$(ns d1)" socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
LAB_PIDS+=($!)

# A mount namespace (inside d1's network namespace) with a /run of its own.
ip netns exec "$(ns d1)" unshare --mount --propagation private sleep 600 &
HOLDER=$!
LAB_PIDS+=($HOLDER)
own_mounts() { [ "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; }
wait_for 5 own_mounts || fail "no mount namespace"
# (Programs in the background are started without the function: $! must be their own PID.)
in_holder() { nsenter -F -t "$HOLDER" -m -n "$@"; }
in_holder sh -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal' || fail "cannot mount /run"
nsenter -F -t "$HOLDER" -m -n socat -u UNIX-RECV:/run/systemd/journal/socket "OPEN:$WORK/journal.txt,creat,append" &
LAB_PIDS+=($!)
wait_for 5 in_holder test -S /run/systemd/journal/socket || fail "no journal socket"

: >"$WORK/d1.log"
stream=$(stat -c '%d:%i' "$WORK/d1.log")
nsenter -F -t "$HOLDER" -m -n env JOURNAL_STREAM="$stream" "$DIRECTORD" -f "$(config d1)" --foreground \
    --control-socket "$(control_socket d1)" >>"$WORK/d1.log" 2>&1 </dev/null &
NODE_PID[d1]=$!
LAB_PIDS+=($!)

# entry TEXT: the journal entry whose MESSAGE contains TEXT, one field a line.
entry() {
    awk -v text="$1" '/^MESSAGE=/ { keep = index($0, text) > 0 } keep' "$WORK/journal.txt"
}
has_entry() { [ -n "$(entry "$1")" ]; }
wait_for 10 has_entry "web: entering MASTER state" || fail "no MASTER entry in the journal"
wait_for 10 has_entry "127.0.0.1:8081 UP" || fail "no check entry in the journal"
master=$(entry "web: entering MASTER state")
say "the state change: $(echo "$master" | tr '\n' ' ')"
for field in INSTANCE=web VRID=51 STATE=MASTER PRIORITY=6 SYSLOG_IDENTIFIER=directord; do
    grep -qx "$field" <<<"$master" || fail "the MASTER entry lacks $field"
done
grep -q "^REASON=." <<<"$master" || fail "the MASTER entry has no REASON"
check=$(entry "127.0.0.1:8081 UP")
say "the check: $(echo "$check" | tr '\n' ' ')"
for field in VIRTUAL_SERVER=www REAL_SERVER=127.0.0.1:8081 STATE=UP; do
    grep -qx "$field" <<<"$check" || fail "the check's entry lacks $field"
done
grep -q "entering MASTER" "$WORK/d1.log" && fail "the MASTER line went to stderr too"
say "PASS"
