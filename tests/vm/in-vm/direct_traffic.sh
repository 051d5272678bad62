#!/bin/bash
# Inside the VM: direct routing (`dr`) or IP-in-IP tunnelling (`tun`), the methods where real
# servers answer the client directly. The director and the real servers share one segment with
# the client; the real servers hold the VIP on lo (dr) or on tunl0 (tun), with arp_ignore=1 and
# arp_announce=2 as docs/operations.md tells. A failed real server stops receiving new
# connections.
#   direct_traffic.sh dr|tun
set -u
MODE=${1:?dr or tun}
case $MODE in dr) SHOWN=Route VIP_DEVICE=lo ;; tun) SHOWN=Tunnel VIP_DEVICE=tunl0 ;; esac
. ./lib.sh
fail() { echo "FAIL: $*"; ip netns exec director ipvsadm -Ln; tail -n 20 /tmp/directord.log; exit 1; }
for ns in sw client director rs1 rs2; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n sw link add lan type bridge; ip -n sw link set lan up
wire client eth0 lan 10.0.0.2/24
wire director eth0 lan 10.0.0.1/24
ip -n director addr add 10.0.0.100/24 dev eth0
for i in 1 2; do
    wire rs$i eth0 lan 10.0.0.1$i/24
    ip netns exec rs$i sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
    if [ "$MODE" = tun ]; then
        ip netns exec rs$i modprobe ipip
        ip -n rs$i link set tunl0 up
        # decapsulated packets come from the client on tunl0, replies leave on eth0
        ip netns exec rs$i sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0
    fi
    ip -n rs$i addr add 10.0.0.100/32 dev $VIP_DEVICE
    mkdir -p /srv/rs$i; echo "hello from rs$i" >/srv/rs$i/index.html
    ip netns exec rs$i busybox httpd -f -p 80 -h /srv/rs$i & eval "pid_rs$i=$!"
done
cat >/tmp/directord.yaml <<YAML
virtual_servers:
  - name: web
    address: 10.0.0.100:80
    scheduler: wrr
    forwarding: $MODE
    check: { http: { path: /, status: 200 }, interval: 200ms, timeout: 500ms }
    real_servers:
      - { address: 10.0.0.11:80, weight: 1 }
      - { address: 10.0.0.12:80, weight: 2 }
YAML
ip netns exec director ./directord -f /tmp/directord.yaml --foreground >/tmp/directord.log 2>&1 &
directord=$!
wait_table 10 "-> 10.0.0.11:80 $SHOWN 1" || fail "rs1 never programmed"
wait_table 5 "-> 10.0.0.12:80 $SHOWN 2" || fail "rs2 never programmed"
expect_answers 6 "rs1=2 rs2=4 " "both up"
kill "$pid_rs2"
wait_table 5 "10.0.0.12:80" absent || fail "failed rs2 was not removed"
expect_answers 4 "rs1=4 " "rs2 down"
kill -TERM $directord; wait $directord
say "PASS"
