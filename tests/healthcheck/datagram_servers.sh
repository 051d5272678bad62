#!/usr/bin/env bash
# UDP, DNS and ping checks against real servers, in a namespace of their own (its loopback,
# its ICMP settings): a socat UDP echo server and a silent one, dnsmasq answering over UDP and
# TCP, and the namespace's own ICMP echo. Each kind: up, down, wrong answer, slow beyond the
# timeout. Every server is started here and stopped on exit, with the namespace.
set -euo pipefail
PROBE_ONCE=${PROBE_ONCE:?set PROBE_ONCE to the probe_once test tool}
NS=dd-dgram-$$
WORK=$(mktemp -d /tmp/directord-dgram.XXXXXX)
pids=()
stop_servers() {
    for pid in "${pids[@]}"; do  # the servers and what they forked (socat, per datagram)
        pkill -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
. "$(dirname "$0")/probe_lib.sh"
probe_namespace

start() { ip netns exec "$NS" "$@" & pids+=($!); }  # $! is the server itself (exec)
wait_udp() {  # wait_udp PORT: until something listens on it in the namespace
    for _ in $(seq 100); do
        in_ns ss -Hlun "sport = :$1" | grep -q . && return 0
        sleep 0.05
    done
    fail "nothing listens on udp port $1"
}

say "UDP: an echo server, a silent one, a closed port"
start socat -T2 UDP6-LISTEN:7001,fork,reuseaddr,ipv6only=0 PIPE
start socat -u UDP4-RECV:7002,reuseaddr OPEN:/dev/null
wait_udp 7001; wait_udp 7002
expect UP "reply of 5 bytes" '{ udp: { payload: hello, reply_regex: "^hel+o$" } }' 127.0.0.1:7001
expect UP "reply of 2 bytes" "{ udp: { payload_hex: 'ca fe', reply_hex: cafe } }" 127.0.0.1:7001
expect DOWN "does not match reply_regex" '{ udp: { payload: hello, reply_regex: "^bye" } }' 127.0.0.1:7001
expect DOWN "does not start with the expected 2 bytes" "{ udp: { payload: hello, reply_hex: '00 01' } }" 127.0.0.1:7001
expect DOWN "port unreachable" '{ udp: { payload: hello } }' 127.0.0.1:7009
expect UP "nothing refused the datagram in 300ms" '{ udp: { payload: hello }, timeout: 300ms }' 127.0.0.1:7002
expect DOWN "no reply in 300ms" '{ udp: { payload: hello, require_reply: true }, timeout: 300ms }' 127.0.0.1:7002
if [ -n "$have6" ]; then
    expect UP "reply of 5 bytes" '{ udp: { payload: hello, require_reply: true } }' '[::1]:7001'
    expect DOWN "port unreachable" '{ udp: { payload: hello } }' '[::1]:7009'
fi

say "DNS: dnsmasq over UDP and TCP"
listen6=
[ -n "$have6" ] && listen6=--listen-address=::1
start dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
    --listen-address=127.0.0.1 $listen6 --port=5353 --pid-file="$WORK/dnsmasq.pid" \
    --local=/example.test/ --host-record=www.example.test,10.1.2.3 --log-facility=- --user=root
wait_udp 5353
expect UP "answered NOERROR with 1 record" '{ dns: { name: www.example.test, type: A, require_answer: true } }' 127.0.0.1:5353
expect UP "answered NOERROR with 1 record" '{ dns: { name: www.example.test, type: A, transport: tcp } }' 127.0.0.1:5353
expect DOWN "answered NXDOMAIN" '{ dns: { name: nowhere.example.test } }' 127.0.0.1:5353
expect UP "answered NXDOMAIN" '{ dns: { name: nowhere.example.test, rcode: [NOERROR, NXDOMAIN] } }' 127.0.0.1:5353
expect DOWN "answered NOERROR with no record" '{ dns: { name: www.example.test, type: MX, require_answer: true } }' 127.0.0.1:5353
expect DOWN "Connection refused" '{ dns: { transport: tcp } }' 127.0.0.1:5399
expect DOWN "port unreachable" '{ dns: {} }' 127.0.0.1:5399
expect DOWN "no answer in 300ms" '{ dns: {}, timeout: 300ms }' 127.0.0.1:7002
[ -z "$have6" ] || expect UP "answered NOERROR with 1 record" '{ dns: { name: www.example.test, type: A, transport: tcp } }' '[::1]:5353'
kill -STOP "$(cat "$WORK/dnsmasq.pid")"
expect DOWN "no answer in 300ms" '{ dns: { name: www.example.test }, timeout: 300ms }' 127.0.0.1:5353
kill -CONT "$(cat "$WORK/dnsmasq.pid")"

say "ping: raw ICMP socket (this namespace's ping_group_range excludes us), then a datagram one"
in_ns sysctl -qw net.ipv4.ping_group_range="1 0"
expect UP "echo reply" '{ ping: {} }' 127.0.0.1:1
[ -z "$have6" ] || expect UP "echo reply" '{ ping: {} }' '[::1]:1'
in_ns sysctl -qw net.ipv4.ping_group_range="0 2147483647"
expect UP "echo reply" '{ ping: {} }' 127.0.0.1:1
[ -z "$have6" ] || expect UP "echo reply" '{ ping: {} }' '[::1]:1'
in_ns sysctl -qw net.ipv4.icmp_echo_ignore_all=1
expect DOWN "no echo reply in 300ms" '{ ping: {}, timeout: 300ms }' 127.0.0.1:1
if [ -n "$have6" ] && in_ns sysctl -qw net.ipv6.icmp.echo_ignore_all=1 2>/dev/null; then
    expect DOWN "no echo reply in 300ms" '{ ping: {}, timeout: 300ms }' '[::1]:1'
fi
say "PASS"
