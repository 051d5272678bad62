#!/bin/bash
# Inside the VM: the IPVS settings keepalived users rely on, through directord into the kernel.
# Connection timeouts, the sync daemon's multicast parameters, SIP persistence, an IPv6
# persistence prefix and an SCTP service as ipvsadm shows them; an upper threshold with
# traffic (a server at its threshold gets no new connection); a restart adopts the timeouts.
#   client (10.0.0.2) -- director (VIP 10.0.0.100, IPVS NAT) -- bridge -- rs1, rs2
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; table; tail -n 30 /tmp/director.log; exit 1; }
nat_topology rs1 rs2

cat >/tmp/director.yaml <<YAML
vrrp:
  instances:
    - { name: outside, interface: eth0, vrid: 51, version: 3, advert_interval: 100ms, vips: [10.0.0.200/24] }
ipvs:
  timeouts: { tcp: 900s, tcp_fin: 30s, udp: 120s }
  sync_daemon: { interface: eth0, instance: outside, sync_id: 4, group: 239.0.0.9, port: 8900,
                 ttl: 2, max_length: 1400 }
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: rr
    forwarding: nat
    real_servers: [{ address: 10.0.1.1:80, upper_threshold: 1 }, { address: 10.0.1.2:80 }]
  - name: sip
    address: 10.0.0.100:5060
    protocol: udp
    scheduler: rr
    persistence: { timeout: 60s, engine: sip }
    real_servers: [{ address: 10.0.1.1:5060 }]
  - name: web6
    address: "[fd00::100]:80"
    persistence: { timeout: 120s, prefix: 64 }
    real_servers: [{ address: "[fd00:1::1]:80" }]
  - name: signalling
    address: 10.0.0.100:2905
    protocol: sctp
    real_servers: [{ address: 10.0.1.2:2905 }]
YAML
start director
wait_table 10 "-> 10.0.1.2:80 Masq 1" || fail "web never programmed"
listing=$(table)
for line in "UDP 10.0.0.100:5060 rr persistent 60 pe sip" \
    "TCP [fd00::100]:80 wlc persistent 120 mask 64" "SCTP 10.0.0.100:2905 wlc"; do
    grep -qF -- "$line" <<<"$listing" || fail "ipvsadm -Ln lacks: $line"
done
say "services: SIP persistence, IPv6 prefix 64, SCTP as configured"
timeouts=$(ip netns exec director ipvsadm -L --timeout)
[ "$timeouts" = "Timeout (tcp tcpfin udp): 900 30 120" ] || fail "timeouts: $timeouts"
say "$timeouts"
grep -q "ipvs: connection timeouts now tcp 900s, tcp_fin 30s, udp 120s" /tmp/director.log ||
    fail "no log line for the timeouts"
wait_for 10 grep -qs "connection sync daemon now master on eth0, sync id 4, group 239.0.0.9, port 8900, TTL 2, max length 1400" /tmp/director.log ||
    fail "the sync daemon never ran as master with its settings"
daemon=$(ip netns exec director ipvsadm -L --daemon)
say "$daemon"
grep -q "master sync daemon (mcast=eth0, syncid=4, maxlen=1400, group=239.0.0.9, port=8900, ttl=2)" <<<"$daemon" ||
    fail "the kernel's sync daemon is not as configured"

say "upper_threshold 1 on rs1: of 4 idle connections, rs1 holds 1 (rr alone would give it 2)"
clients=()
for _ in 1 2 3 4; do
    ip netns exec client busybox nc 10.0.0.100 80 </dev/zero >/dev/null 2>&1 &
    clients+=($!)
    sleep 0.3
done
wait_table 5 "-> 10.0.1.2:80 Masq 1 3 " || fail "rs2 does not hold 3 connections"
table | grep -q -- "-> 10.0.1.1:80 Masq 1 1 " || fail "rs1 does not hold exactly 1 connection"
table | grep -- "-> 10.0.1..:80"
kill "${clients[@]}" 2>/dev/null

say "a restart adopts the timeouts: nothing set again"
kill -TERM "$pid_director"; wait "$pid_director"
: >/tmp/director.log
start director
wait_for 10 grep -qs "services in the kernel at start" /tmp/director.log || fail "no adoption line"
sleep 1
grep "connection timeouts now" /tmp/director.log && fail "the restart set the timeouts again"
kill -TERM "$pid_director"; wait "$pid_director"
say "PASS"
