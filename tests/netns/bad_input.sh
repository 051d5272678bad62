#!/usr/bin/env bash
# Hostile input never ends the daemon: bytes that are not UTF-8 on the control socket, requests
# with arguments of the wrong type, and a check script that prints invalid UTF-8 (its output
# reaches status and metrics). Each request gets an answer, the status document and the
# metrics stay valid, and the master keeps its VIP against a live backup throughout.
. "$(dirname "$0")/../../scripts/lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
lab_up 2
METRICS=127.0.0.1:9477
printf '#!/bin/sh\nprintf "\\377\\376 not utf-8 \\300\\n"\nexit 1\n' >"$WORK/bad-bytes"
chmod +x "$WORK/bad-bytes"
{
    echo "router_id: lb1"
    echo "control: { metrics: $METRICS }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}"
    echo "virtual_servers:"
    virtual_server_yaml www "$VIP:80" "{ script: { run: [$WORK/bad-bytes] }, interval: 200ms }" \
        "[{ address: 127.0.0.1:8081 }]"
    echo "  - name: db"
    echo "    address: $VIP:3306"
    echo "    check: { tcp: {}, interval: 100ms }"
    echo "    real_servers: [{ address: 127.0.0.1:8082 }]"
} >"$(config d1)"
ip netns exec "$(ns d1)" socat TCP-LISTEN:8082,bind=127.0.0.1,fork,reuseaddr /dev/null &
LAB_PIDS+=($!)
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"; } >"$(config d2)"
start d1
start d2
expect_vip_on d1 5
expect_log d1 "127.0.0.1:8081 DOWN"
expect_log d1 "127.0.0.1:8082 UP"

# raw LINE: sends LINE (printf format) on d1's control socket, prints the answer.
raw() { printf "$1" | socat -t 5 - "UNIX-CONNECT:$(control_socket d1)"; }
answered() {  # answered NAME ANSWER: a JSON answer with result 1 and a text
    echo "$2" | jq -e '.result == 1 and (.text | type) == "string"' >/dev/null ||
        fail "$1: no JSON error answer (got '$2')"
    running d1 || fail "$1 ended the daemon"
}
say "a request with bytes that are not UTF-8"
answered "invalid UTF-8" "$(raw '{\377\n')"
answered "invalid UTF-8 in a string" "$(raw '{"command": "\377\376"}\n')"
say "arguments of the wrong type"
answered "garp with a numeric instance" "$(raw '{"command": "garp", "arguments": {"instance": 5}}\n')"
# (no maintenance_file here: refused for that, a well-formed request, not counted)
answered "maintenance with a string" "$(raw '{"command": "maintenance", "arguments": {"on": "yes"}}\n')"
answered "arguments as a list" "$(raw '{"command": "garp", "arguments": [1, 2]}\n')"
answered "a number as the command" "$(raw '{"command": 7}\n')"
answered "a bare string" "$(raw '"status"\n')"

say "status and metrics with a check script's invalid UTF-8 in them"
"$DIRECTORCTL" -s "$(control_socket d1)" status >"$WORK/status.txt" || fail "status failed"
"$DIRECTORCTL" -s "$(control_socket d1)" status --json >"$WORK/status.json" || fail "status --json failed"
jq -e '.virtual_servers[0].real_servers[0].check.last_reason | test("not utf-8")' \
    "$WORK/status.json" >/dev/null || fail "the script's output is not in the reason"
iconv -f UTF-8 -t UTF-8 "$WORK/status.json" >/dev/null || fail "status is not UTF-8"
jq -e '.daemon.control_rejected == 6 and (.interfaces | map(.name) == ["eth0"])
       and (.instances[0].answers_rate_limited | type) == "number"' "$WORK/status.json" >/dev/null ||
    { jq -c '{d: .daemon, i: .interfaces}' "$WORK/status.json"; fail "rejected requests or drops"; }
ip netns exec "$(ns d1)" bash -c "exec 3<>/dev/tcp/${METRICS%:*}/${METRICS#*:}
    printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; cat <&3" >"$WORK/metrics.txt"
grep -q 'directord_check_failures_total{kind="script",reason=".*not utf-8' "$WORK/metrics.txt" ||
    fail "no failure reason in the metrics"
iconv -f UTF-8 -t UTF-8 "$WORK/metrics.txt" >/dev/null || fail "the metrics are not UTF-8"
running d1 || fail "status ended the daemon"

say "2,000 idle clients on the metrics port and the control socket"
ip netns exec "$(ns d1)" perl -MIO::Socket::INET -MIO::Socket::UNIX -e '
    $| = 1; my @held;
    for (1 .. 1000) {
        push @held, IO::Socket::INET->new(PeerAddr => $ARGV[0]) || die "connect: $!";
        push @held, IO::Socket::UNIX->new(Peer => $ARGV[1]) || die "connect: $!";
    }
    print "holding\n"; sleep 30' "$METRICS" "$(control_socket d1)" >"$WORK/idle.out" 2>&1 &
IDLE=$!
LAB_PIDS+=($IDLE)
wait_for 10 grep -qs holding "$WORK/idle.out" || fail "the idle clients: $(cat "$WORK/idle.out")"
fds=$(ls "/proc/${NODE_PID[d1]}/fd" | wc -l)
say "d1 holds $fds descriptors"
[ "$fds" -lt 100 ] || fail "idle clients hold d1's descriptors ($fds)"
timeout 5 "$DIRECTORCTL" -s "$(control_socket d1)" status >/dev/null || fail "status while flooded"
log_has d1 "127.0.0.1:8082 DOWN" && fail "a TCP check went DOWN while clients were flooding"
kill "$IDLE"
expect_stays d1 1
say "PASS"
