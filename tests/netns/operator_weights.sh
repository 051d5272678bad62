#!/usr/bin/env bash
# Day-2 operations without a reload: directorctl drain / undrain / weight on a running
# directord. Each is applied at once, logged with who asked, shown in status and metrics, kept
# in the state file across a reload and a restart; a drained real server is still checked; a
# reload that removes a real server forgets its weight; bad requests are refused. (The kernel
# side, connections of a drained server under traffic, is vm.drain.)
. "$(dirname "$0")/../../scripts/lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
lab_up 1
METRICS=127.0.0.1:9477
STATE=$WORK/d1.state.json  # lab.sh's start: --state-file $WORK/NODE.state.json
write_d1() {  # real servers (YAML flow list)
    {
        echo "control: { metrics: $METRICS }"
        echo "vrrp:"
        echo "  instances:"
        instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}"
        echo "virtual_servers:"
        virtual_server_yaml www "$VIP:80" "{ tcp: {}, interval: 200ms }" "$1"
    } >"$(config d1)"
}
BOTH="[{ address: 127.0.0.1:8081, weight: 2 }, { address: 127.0.0.1:8082 }]"
write_d1 "$BOTH"
listen() { ip netns exec "$(ns d1)" socat "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" /dev/null & }
listen 8081
L8081=$!
LAB_PIDS+=($!)
listen 8082
LAB_PIDS+=($!)
start d1
ctl() { "$DIRECTORCTL" -s "$(control_socket d1)" "$@"; }
rs() {  # ADDRESS: its status document entry
    ctl status --json | jq -c --arg a "$1" '.virtual_servers[0].real_servers[] | select(.address == $a)'
}
expect_log d1 "127.0.0.1:8081 UP"
expect_log d1 "127.0.0.1:8082 UP"

say "drain: at once, logged with who asked, in status, metrics and the state file"
out=$(ctl drain www 127.0.0.1:8081) || fail "drain failed: $out"
[ "$out" = "www 127.0.0.1:8081: drained (weight 0)" ] || fail "drain said: $out"
expect_log d1 "ipvs: www 127.0.0.1:8081: drained (weight 0) (asked by uid 0 pid [0-9]* directorctl)"
rs 127.0.0.1:8081 | jq -e '.operator_weight == 0 and .weight == 2 and .health == "up"' >/dev/null ||
    fail "status: $(rs 127.0.0.1:8081)"
ctl status | grep -E "^  127.0.0.1:8081 +up +drained \(2\) " >/dev/null || fail "status table: $(ctl status)"
scraped=$(ip netns exec "$(ns d1)" bash -c "exec 3<>/dev/tcp/${METRICS%:*}/${METRICS#*:}
    printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; cat <&3" | tr -d '\r')
grep -qx 'directord_real_server_operator_weight{virtual_server="www",real_server="127.0.0.1:8081"} 0' \
    <<<"$scraped" || fail "no operator weight metric"
jq -e '.operator_weights == [{"virtual_server": "www", "real_server": "127.0.0.1:8081", "weight": 0}]' \
    "$STATE" >/dev/null || fail "state file: $(cat "$STATE")"
out=$(ctl drain www 127.0.0.1:8081) || fail "a second drain failed"
[ "$out" = "www 127.0.0.1:8081: already drained (weight 0)" ] || fail "a second drain said: $out"

say "a drained real server is still checked"
kill "$L8081"
expect_log d1 "127.0.0.1:8081 DOWN"
listen 8081
LAB_PIDS+=($!)
expect_log_count() { [ "$(grep -c "$2" "$WORK/$1.log")" -ge "$3" ]; }
wait_for 5 expect_log_count d1 "127.0.0.1:8081 UP" 2 || fail "8081 not checked UP again"

say "weight: an operator's weight beside the configured one"
out=$(ctl weight www 127.0.0.1:8082 7) || fail "weight failed: $out"
[ "$out" = "www 127.0.0.1:8082: weight 7" ] || fail "weight said: $out"
ctl status | grep -E "^  127.0.0.1:8082 +up +7 \(operator; 1\) " >/dev/null || fail "status table: $(ctl status)"

say "kept across a reload and a restart"
ctl reload >/dev/null || fail "reload"
rs 127.0.0.1:8081 | jq -e '.operator_weight == 0' >/dev/null || fail "reload undrained 8081"
stop d1
start d1
expect_log d1 "ipvs: www 127.0.0.1:8081: drained (weight 0) (kept in $STATE)"
expect_log d1 "ipvs: www 127.0.0.1:8082: weight 7 (kept in $STATE)"
wait_for 5 test -S "$(control_socket d1)" || fail "no control socket after the restart"
rs 127.0.0.1:8081 | jq -e '.operator_weight == 0' >/dev/null || fail "the restart undrained 8081"
rs 127.0.0.1:8082 | jq -e '.operator_weight == 7' >/dev/null || fail "the restart lost weight 7"

say "undrain: back to the configured weight"
out=$(ctl undrain www 127.0.0.1:8081) || fail "undrain failed: $out"
[ "$out" = "www 127.0.0.1:8081: back to its configured weight" ] || fail "undrain said: $out"
rs 127.0.0.1:8081 | jq -e '.operator_weight == null and .weight == 2' >/dev/null || fail "still drained"
jq -e '.operator_weights | map(.real_server) == ["127.0.0.1:8082"]' "$STATE" >/dev/null ||
    fail "state file after undrain: $(cat "$STATE")"

say "bad requests are refused"
refused() {  # EXIT_CODE TEXT COMMAND...
    local want=$1 text=$2 rc=0 out
    shift 2
    out=$(ctl "$@" 2>&1) || rc=$?
    [ "$rc" = "$want" ] || fail "$* exits $rc (expected $want): $out"
    grep -qF "$text" <<<"$out" || fail "$* said: $out"
}
refused 1 "virtual server www has no real server 10.9.9.9:80" drain www 10.9.9.9:80
refused 1 "no virtual server named 'nosuch'" drain nosuch 127.0.0.1:8081
refused 2 "weight needs VS RS N (0..65535)" weight www 127.0.0.1:8082 70000
refused 2 "weight needs VS RS N (0..65535)" weight www 127.0.0.1:8082 -1
refused 2 "drain needs VS RS" drain www
out=$(printf '%s\n' '{"command": "weight", "arguments": {"virtual_server": "www", "real_server": "127.0.0.1:8082", "weight": "x"}}' |
    ip netns exec "$(ns d1)" socat - "UNIX-CONNECT:$(control_socket d1)")
jq -e '.result == 1 and (.text | startswith("weight needs"))' <<<"$out" >/dev/null || fail "raw request: $out"
running d1 || fail "directord died"

say "a reload that removes a real server forgets its weight"
write_d1 "[{ address: 127.0.0.1:8081, weight: 2 }]"
ctl reload >/dev/null || fail "reload"
expect_log d1 "ipvs: www 127.0.0.1:8082: operator weight forgotten, no longer configured"
jq -e '.operator_weights == []' "$STATE" >/dev/null || fail "state file after the reload: $(cat "$STATE")"
say "PASS"
