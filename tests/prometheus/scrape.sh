#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes two real directors with the shipped alert rules loaded,
# in the lab's namespaces. The pair is misconfigured on purpose (VRRPv2, different passwords):
# both become MASTER, and the rules DirectordSplitBrain and DirectordMisconfiguredPeer fire from
# the real series; a reload that fixes the password ends the split brain and the alert. Also:
# every target up, queries answer (the VRRP `instance` label is `exported_instance` there),
# `promtool check metrics` accepts the exposition, every rule evaluates without error, and every
# metric the rules and the Grafana dashboard use is one the daemon exports.
. "$(dirname "$0")/../../scripts/lab.sh"
EXAMPLES=$(cd "$(dirname "$0")/../../examples" && pwd)
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh)"
lab_up 2
write_director() {  # NODE PRIORITY PASSWORD
    {
        echo "control: { metrics: $SUBNET.${1#d}:9477 }"
        echo "bgp: { engine: external }"
        echo "vrrp:"
        echo "  instances:"
        instance_yaml vi_web eth0 51 "$2" "$VIP" "version: 2" "auth: { type: pass, password: $3 }"
        echo "virtual_servers:"
        virtual_server_yaml web "$VIP:80" "{ tcp: {}, interval: 200ms }" "[{ address: 127.0.0.1:8081 }]"
        echo "  - { name: anycast, address: 192.0.2.10:80, announce: bgp, forwarding: dr,"
        echo "      check: { tcp: {}, interval: 200ms }, real_servers: [{ address: 127.0.0.1:8081 }] }"
    } >"$(config "$1")"
}
write_director d1 101 secret1
write_director d2 100 secret2
for n in d1 d2; do
    ip netns exec "$(ns "$n")" socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
    LAB_PIDS+=($!)
    start "$n"
done

cat >"$WORK/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ $EXAMPLES/prometheus/directord-alerts.yml ]
scrape_configs:
  - job_name: directord
    static_configs:
      - targets: [ "$SUBNET.1:9477", "$SUBNET.2:9477" ]
        labels: { cluster: lab }
YAML
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool refuses the config"
ip netns exec "$(ns c1)" prometheus --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/tsdb" --web.listen-address=127.0.0.1:9090 \
    >>"$WORK/prometheus.log" 2>&1 </dev/null &
LAB_PIDS+=($!)
# query EXPR: the instant query's answer, one "{labels} => value" line per series.
query() { ip netns exec "$(ns c1)" promtool query instant http://127.0.0.1:9090 "$1" 2>/dev/null | sed 's/ @\[.*//'; }
answers() { [ "$(query "$1")" = "$2" ]; }

say "targets up, queries answer"
wait_for 30 answers 'count(up{job="directord"} == 1)' '{} => 2' ||
    fail "targets up: $(query 'up{job="directord"}')"
wait_for 10 answers 'sum by (exported_instance) (directord_vrrp_state{state="MASTER"})' \
    '{exported_instance="vi_web"} => 2' ||
    fail "masters of vi_web: $(query 'directord_vrrp_state{state="MASTER"}')"
say "both directors are MASTER of vi_web (their passwords differ), as Prometheus sees it"

say "the exposition passes promtool check metrics"
ip netns exec "$(ns c1)" busybox wget -q -O "$WORK/metrics.txt" "http://$SUBNET.1:9477/metrics" ||
    fail "no metrics from d1"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1 ||
    fail "promtool check metrics: $(head -n 5 "$WORK/promtool.txt")"

say "the rules and the dashboard name metrics the daemon exports"
exported() { awk '/^# TYPE / { print $3 }' "$WORK/metrics.txt"; }
used() {
    { grep -o 'directord_[a-z_]*' "$EXAMPLES/prometheus/directord-alerts.yml"
      jq -r '.. | .expr? // empty' "$EXAMPLES/grafana/directord-dashboard.json" | grep -o 'directord_[a-z_]*'
    } | sed -E 's/_(bucket|sum|count)$//' | sort -u
}
unknown=$(comm -23 <(used) <(exported | sort -u))
[ -z "$unknown" ] || fail "used but not exported: $unknown"
say "$(used | wc -l) metrics used, all exported"

say "the split brain fires DirectordSplitBrain and DirectordMisconfiguredPeer"
firing() { [ -n "$(query "ALERTS{alertname=\"$1\", alertstate=\"firing\"}")" ]; }
wait_for 60 firing DirectordSplitBrain || fail "no split-brain alert: $(query ALERTS)"
wait_for 30 firing DirectordMisconfiguredPeer || fail "no misconfigured-peer alert: $(query ALERTS)"
say "$(query 'ALERTS{alertstate="firing"}' | grep -o 'alertname="[A-Za-z]*"[^}]*' | sort | sed 's/^/  /')"
ip netns exec "$(ns c1)" busybox wget -q -O "$WORK/rules.json" http://127.0.0.1:9090/api/v1/rules
jq -e '[.data.groups[].rules[]] | length > 10 and all(.health == "ok")' "$WORK/rules.json" >/dev/null ||
    fail "rules not all evaluated: $(jq -c '[.data.groups[].rules[] | {name, health, lastError}]' "$WORK/rules.json")"

say "the password fixed by a reload: one master, the alert resolves"
write_director d2 100 secret1
kill -HUP "${NODE_PID[d2]}"
wait_for 30 answers 'sum by (exported_instance) (directord_vrrp_state{state="MASTER"})' \
    '{exported_instance="vi_web"} => 1' || fail "still two masters"
wait_for 30 not firing DirectordSplitBrain || fail "the split-brain alert did not resolve"
say "PASS"
