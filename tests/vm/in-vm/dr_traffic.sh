#!/bin/bash
# Inside the VM: direct routing. The director and the real servers share one segment with
# the client; the real servers hold the VIP on lo (arp_ignore=1, arp_announce=2, as
# docs/operations.md tells) and answer the client directly. A failed real server stops
# receiving new connections.
set -u
. ./lib.sh
fail() { echo "FAIL: $*"; ip netns exec director ipvsadm -Ln; tail -n 20 /tmp/directord.log; exit 1; }
for ns in sw client director rs1 rs2; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n sw link add lan type bridge; ip -n sw link set lan up
wire() {  # NS ADDRESS
    ip link add eth0 netns "$1" type veth peer name "p-$1" netns sw
    ip -n sw link set "p-$1" master lan up
    ip -n "$1" addr add "$2/24" dev eth0; ip -n "$1" link set eth0 up
}
wire client 10.0.0.2
wire director 10.0.0.1
ip -n director addr add 10.0.0.100/24 dev eth0
for i in 1 2; do
    wire rs$i 10.0.0.1$i
    ip netns exec rs$i sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
    ip -n rs$i addr add 10.0.0.100/32 dev lo
    mkdir -p /srv/rs$i; echo "hello from rs$i" >/srv/rs$i/index.html
    ip netns exec rs$i busybox httpd -f -p 80 -h /srv/rs$i & eval "pid_rs$i=$!"
done
cat >/tmp/directord.yaml <<YAML
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: wrr
    forwarding: dr
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms }
    real_servers:
      - { address: 10.0.0.11:80, weight: 1 }
      - { address: 10.0.0.12:80, weight: 2 }
YAML
ip netns exec director ./directord -f /tmp/directord.yaml --foreground >/tmp/directord.log 2>&1 &
directord=$!
wait_table 10 "-> 10.0.0.11:80 Route 1" || fail "rs1 never programmed"
wait_table 5 "-> 10.0.0.12:80 Route 2" || fail "rs2 never programmed"
expect_answers 6 "rs1=2 rs2=4 " "both up"
kill "$pid_rs2"
wait_table 5 "10.0.0.12:80" absent || fail "failed rs2 was not removed"
expect_answers 4 "rs1=4 " "rs2 down"
kill -TERM $directord; wait $directord
say "PASS"
