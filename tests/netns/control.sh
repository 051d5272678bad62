#!/usr/bin/env bash
# Operating a running directord: directorctl status (table and JSON, checked against the
# documented schema), reload (valid and invalid), maintenance on/off (the peer takes over and
# gives back), garp (ARPs captured on the wire); the Prometheus endpoint scraped and parsed;
# systemd's notify protocol (READY, RELOADING, STOPPING, a watchdog fed from the loop)
# observed on a datagram socket, as systemd-notify would receive it.
. "$(dirname "$0")/../../scripts/lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
lab_up 2
mkdir -p "$WORK/d1"
MAINT=$WORK/d1/maintenance
METRICS=127.0.0.1:9477  # d1's own loopback
write_d1() {  # [extra top-level line]
    {
        echo "router_id: lb1"
        echo "maintenance_file: $MAINT"
        echo "control: { metrics: $METRICS }"
        echo "vrrp:"
        echo "  instances:"
        instance_yaml web eth0 51 101 "$VIP" "${FAST[@]}"
        echo "virtual_servers:"
        virtual_server_yaml www "$VIP:80" "{ tcp: {}, interval: 200ms }" \
            "[{ address: 127.0.0.1:8081, weight: 2 }, { address: 127.0.0.1:8082 }]"
        echo "${1:-}"
    } >"$(config d1)"
}
write_d1
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"; } >"$(config d2)"
# A listening real server in d1's namespace (8082 stays closed).
ip netns exec "$(ns d1)" socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
LAB_PIDS+=($!)

# systemd's side of the notify protocol: a datagram socket.
socat -u "UNIX-RECV:$WORK/notify.sock" "OPEN:$WORK/notify.txt,creat,append" &
LAB_PIDS+=($!)
wait_for 5 test -S "$WORK/notify.sock" || fail "no notify socket"
NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=400000 start d1
start d2
expect_vip_on d1 5
ctl() { "$DIRECTORCTL" -s "$(control_socket d1)" "$@"; }
notified() { grep -o "$1" "$WORK/notify.txt" | wc -l; }  # datagrams arrive unseparated
expect_log d1 "127.0.0.1:8081 UP"

say "status"
ctl status >"$WORK/status.txt" || fail "status failed"
cat "$WORK/status.txt"
grep -E "^web +eth0 +51 +MASTER +101 +101" "$WORK/status.txt" >/dev/null || fail "instance line"
grep -E "^  127.0.0.1:8081 +up +2 " "$WORK/status.txt" >/dev/null || fail "real server up line"
grep -E "^  127.0.0.1:8082 +down +1 .*tcp failed" "$WORK/status.txt" >/dev/null ||
    fail "real server down line"
[ "$(stat -c %a "$(control_socket d1)")" = 600 ] || fail "the control socket is not 0600"

say "status --json against the documented schema"
ctl status --json >"$WORK/status.json" || fail "status --json failed"
jq -e '
  .schema == 1
  and (.daemon | (.version | type) == "string" and (.pid | type) == "number"
       and .router_id == "lb1" and (.uptime_seconds | type) == "number"
       and .reloads == 0 and .reload_failures == 0)
  and (.maintenance | .active == false and (.file | endswith("/maintenance")))
  and (.instances | length == 1)
  and (.instances[0] | .name == "web" and .interface == "eth0" and .vrid == 51
       and .version == 3 and .state == "MASTER" and .priority == 101
       and .base_priority == 101 and .reasons == [] and .adverts_sent > 0
       and (.adverts_received | type) == "number" and (.transitions | type) == "number"
       and (.became_master | type) == "number" and (.drops | type) == "object")
  and (.virtual_servers | length == 1)
  and (.virtual_servers[0] | .name == "www" and .service == "TCP 10.99.0.100:80"
       and .scheduler == "wlc" and (.in_kernel | type) == "boolean"
       and (.quorum | IN("held", "lost", "undecided")) and .sorry_server == null
       and .vrrp_instance == "")
  and (.virtual_servers[0].real_servers | map(.address) == ["127.0.0.1:8081", "127.0.0.1:8082"])
  and (.virtual_servers[0].real_servers[0] | .health == "up" and .weight == 2
       and .check.kind == "tcp" and .check.decided and .check.last_ok
       and (.check.latency_ms | type) == "number" and (.check.last_reason | type) == "string"
       and (.check.latency_ms | tostring | test("^[0-9]+(\\.[0-9]{1,3})?$"))
       and has("kernel_weight") and (.active_connections | type) == "number")
  and (.virtual_servers[0].real_servers[1] | .health == "down" and .check.last_ok == false)
  and (.ipvs | (.available | type) == "boolean" and (.services | type) == "number"
       and (.destinations | type) == "number" and (.changes_applied | type) == "number"
       and (.refusals | type) == "number" and (.sync_daemon | IN("master", "backup", "off")))
' "$WORK/status.json" >/dev/null || { cat "$WORK/status.json"; fail "the status document"; }

log_has d2 "IPVS is not available" && fail "a VRRP-only configuration was warned about IPVS"

say "metrics"
scrape() {
    ip netns exec "$(ns d1)" bash -c "exec 3<>/dev/tcp/${METRICS%:*}/${METRICS#*:}
        printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; cat <&3" | tr -d '\r'
}
scrape >"$WORK/scrape.txt"
head -n 1 "$WORK/scrape.txt" | grep -q "200 OK" || fail "metrics: $(head -n 1 "$WORK/scrape.txt")"
sed '1,/^$/d' "$WORK/scrape.txt" >"$WORK/metrics.txt"
# The exposition format: HELP and TYPE before each family's samples, every sample a known
# family's, each family once, values numbers.
awk '
  /^# HELP / { help[$3] = 1; next }
  /^# TYPE / { if ($3 in typed) { print "family twice: " $3; bad = 1 } typed[$3] = $4; current = $3; next }
  /^#/ || /^$/ { next }
  {
      name = $1; sub(/\{.*/, "", name)
      base = name; sub(/_(bucket|sum|count)$/, "", base)
      if (!(name in help) && !(base in help)) { print "no HELP: " name; bad = 1 }
      if (name != current && base != current) { print "sample outside its family: " $0; bad = 1 }
      if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) { print "bad name: " name; bad = 1 }
      if ($NF !~ /^-?[0-9.e+-]+$|^[+-]Inf$|^NaN$/) { print "bad value: " $0; bad = 1 }
      samples++
  }
  END { if (samples < 20) { print "only " samples " samples"; bad = 1 } exit bad }
' "$WORK/metrics.txt" || fail "the metrics are not valid exposition text"
metric() { grep -F "$1 " "$WORK/metrics.txt" | awk '{ print $NF }'; }
[ "$(metric 'directord_vrrp_state{instance="web",state="MASTER"}')" = 1 ] || fail "vrrp_state"
[ "$(metric 'directord_vrrp_priority{instance="web"}')" = 101 ] || fail "priority metric"
[ "$(metric 'directord_real_server_up{virtual_server="www",real_server="127.0.0.1:8081"}')" = 1 ] ||
    fail "real_server_up 8081"
[ "$(metric 'directord_real_server_up{virtual_server="www",real_server="127.0.0.1:8082"}')" = 0 ] ||
    fail "real_server_up 8082"
[ "$(metric 'directord_check_duration_seconds_bucket{kind="tcp",le="+Inf"}')" -gt 2 ] ||
    fail "check duration histogram"
grep -E '^directord_check_failures_total\{kind="tcp",reason="[^"]+"\} [1-9]' "$WORK/metrics.txt" \
    >/dev/null || fail "check failures by reason"
grep -q '^directord_build_info{version="' "$WORK/metrics.txt" || fail "build info"
ip netns exec "$(ns d1)" bash -c "exec 3<>/dev/tcp/${METRICS%:*}/${METRICS#*:}
    printf 'GET / HTTP/1.0\r\n\r\n' >&3; head -n 1 <&3" | grep -q "404" || fail "/ is not 404"

say "reload --check says what would change and applies nothing; reload applies it; invalid"
write_d1 "process: { nice: 0 }"
out=$(ctl reload --check) || fail "reload --check failed: $out"
[ "$out" = "$(printf 'reload check: 1 change(s), nothing applied\n  process changed')" ] ||
    fail "reload --check said: $out"
log_has d1 "process: the event loop runs at nice 0" && fail "reload --check applied the change"
out=$(ctl reload) || fail "reload failed: $out"
[ "$out" = "$(printf 'reload done: 1 change(s)\n  process changed')" ] || fail "reload said: $out"
expect_log d1 "reload: process changed"
expect_log d1 "process: the event loop runs at nice 0"
write_d1 "bogus: 1"
set +e
out=$(ctl reload 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "an invalid reload exits $rc (expected 2)"
echo "$out" | grep -q "d1.yaml:[0-9]*:1: bogus: unknown key" || fail "reload errors: $out"
write_d1
ctl status --json | jq -e '.daemon.reloads == 1 and .daemon.reload_failures == 1' >/dev/null ||
    fail "reload counters"
[ "$(notified RELOADING=1)" -ge 2 ] || fail "systemd was not told RELOADING"

say "maintenance on: d2 takes over; off: d1 back"
ctl maintenance on | grep -q "maintenance on" || fail "maintenance on"
[ -e "$MAINT" ] || fail "the down-file was not created"
expect_vip_on d2 3
ctl status | grep -q "^maintenance: ON" || fail "status does not show maintenance"
ctl status --json | jq -e '.instances[0].state == "FAULT" and (.instances[0].reasons[0] | test("maintenance"))' \
    >/dev/null || fail "reasons do not name the maintenance file"
ctl maintenance off >/dev/null || fail "maintenance off"
[ -e "$MAINT" ] && fail "the down-file is still there"
expect_vip_on d1 5

say "garp"
capture_start garp
ctl garp web | grep -q "gratuitous ARPs sent" || fail "garp web"
garp_seen() { [ "$(garps_from garp "$(mac_of d1)")" -ge 1 ]; }  # counted again at every try
wait_for 3 garp_seen || fail "no gratuitous ARP on the wire"
capture_stop garp
set +e
ctl garp nosuch >/dev/null 2>&1; rc_unknown=$?
"$DIRECTORCTL" -s "$(control_socket d2)" garp web >/dev/null 2>&1; rc_backup=$?
"$DIRECTORCTL" -s "$WORK/nobody.sock" status >/dev/null 2>&1; rc_unreachable=$?
"$DIRECTORCTL" frobnicate >/dev/null 2>&1; rc_usage=$?
set -e
[ "$rc_unknown" = 1 ] || fail "garp of an unknown instance exits $rc_unknown"
[ "$rc_backup" = 1 ] || fail "garp on a BACKUP exits $rc_backup"
[ "$rc_unreachable" = 1 ] || fail "an unreachable daemon exits $rc_unreachable"
[ "$rc_usage" = 2 ] || fail "a usage error exits $rc_usage"
"$DIRECTORCTL" check "$(config d1)" | grep -q "OK" || fail "check of a valid file"

say "systemd notify"
[ "$(notified READY=1)" -ge 3 ] || fail "READY=1 at start and after each reload"
grep -q "STATUS=running: 1 VRRP instance(s), 0 sync group(s), 1 virtual server(s)" "$WORK/notify.txt" ||
    fail "no STATUS at start"
watchdogs=$(notified WATCHDOG=1)
sleep 1
more=$(( $(notified WATCHDOG=1) - watchdogs ))
say "watchdog: $more pings in 1 s (interval 400 ms: every 200 ms)"
[ "$more" -ge 3 ] || fail "the watchdog is not fed"
kill -STOP "${NODE_PID[d1]}"  # a stalled loop stops feeding it
watchdogs=$(notified WATCHDOG=1)
sleep 0.6
[ "$(notified WATCHDOG=1)" = "$watchdogs" ] || fail "watchdog fed by a stopped process"
kill -CONT "${NODE_PID[d1]}"
stop d1
grep -q "STOPPING=1" "$WORK/notify.txt" || fail "systemd was not told STOPPING"
[ -e "$(control_socket d1)" ] && fail "the control socket outlived the daemon"
say "PASS"
