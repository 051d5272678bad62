#!/usr/bin/env bash
# Track script with a weight (fall 2, rise 1) moves the VIP and back; a tracked interface
# going down puts the instance in FAULT; a failing script with weight 0 too.
. "$(dirname "$0")/../../scripts/lab.sh"
lab_up 2
ip -n "$(ns d1)" link add uplink type veth peer name uplink-far
ip -n "$(ns d1)" link set uplink up
ip -n "$(ns d1)" link set uplink-far up
FLAG=$WORK/d1-proxy-dead
# A local service the instance tracks with a health check (weight 0: FAULT while it is down).
serve() {
    ip netns exec "$(ns d1)" perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:13306", Listen => 16, ReuseAddr => 1) or die;
        while (my $c = $s->accept) { close $c }' &
    SERVICE_PID=$!
    LAB_PIDS+=($!)
    # Listening before anyone checks it: a first check that beats perl would FAULT the instance.
    wait_for 5 ip netns exec "$(ns d1)" bash -c 'exec 3<>/dev/tcp/127.0.0.1/13306' 2>/dev/null ||
        fail "the tracked service does not listen"
}
serve
cat >"$WORK/check-proxy" <<SCRIPT
#!/bin/sh
[ "\$(id -u)" = 65534 ] && [ ! -e $FLAG ]  # fails unless run as nobody, the default user
SCRIPT
chmod +x "$WORK/check-proxy"
cat >"$WORK/notify" <<SCRIPT
#!/bin/sh
echo "\$DIRECTORD_INSTANCE \$DIRECTORD_PREVIOUS_STATE->\$DIRECTORD_STATE \$DIRECTORD_PRIORITY" >>$WORK/notified
SCRIPT
chmod +x "$WORK/notify"
{
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}" \
        "notify: [$WORK/notify]" \
        "track:" \
        "  scripts: [{ name: proxy, run: [$WORK/check-proxy], interval: 200ms, weight: -20, fall: 2, rise: 1 }]" \
        "  interfaces: [uplink]" \
        "  checks: [{ name: mysqld, target: 127.0.0.1:13306, check: { tcp: {}, interval: 200ms, timeout: 100ms } }]"
    echo "process: { root_programs: [$WORK/notify] }"  # it writes in root's $WORK
} >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"; } >"$(config d2)"
start d1; start d2
expect_vip_on d1 5

say "track script fails: priority 101 -> 81, d2 (100) takes over"
: >"$FLAG"
expect_vip_on d2 5
expect_log d1 "track script proxy is now DOWN (exit 1)"
expect_log d1 "effective priority 101 -> 81"
rm -f "$FLAG"
expect_vip_on d1 5
expect_log d1 "effective priority 81 -> 101"

say "tracked interface loses carrier: FAULT"
ip -n "$(ns d1)" link set uplink-far down
expect_vip_on d2 3
expect_log d1 "entering FAULT state (interface uplink down"
ip -n "$(ns d1)" link set uplink-far up
expect_vip_on d1 5
expect_log d1 "interface uplink ok (link up)"

say "notify hook saw every transition, in order"
expected="web INIT->BACKUP 101
web BACKUP->MASTER 101
web MASTER->BACKUP 81
web BACKUP->MASTER 101
web MASTER->FAULT 101
web FAULT->BACKUP 101
web BACKUP->MASTER 101"
notified_7() { [ "$(wc -l <"$WORK/notified")" -ge 7 ]; }  # counted again at every try
wait_for 3 notified_7 || fail "notify ran $(wc -l <"$WORK/notified") times"
[ "$(cat "$WORK/notified")" = "$expected" ] || fail "notify saw: $(cat "$WORK/notified")"

say "tracked health check: the local service dies, then returns"
kill "$SERVICE_PID"
wait "$SERVICE_PID" 2>/dev/null || true
expect_vip_on d2 3
expect_log d1 "entering FAULT state (check mysqld down"
serve
expect_vip_on d1 5
expect_log d1 "check mysqld ok (connected)"

say "SIGTERM: the hook of the stop transition runs before the daemon ends"
stop d1
[ "$(tail -n 1 "$WORK/notified")" = "web MASTER->INIT 101" ] ||
    fail "the last notify was not the stop: $(tail -n 1 "$WORK/notified")"
say "PASS"
