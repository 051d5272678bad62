#!/bin/bash
# Inside the VM, deployment D3 end to end, both directors from the example's cluster file
# (examples/d3-web-dr.yaml, --node web-lb1 / web-lb2; only the check timers shortened and each
# director given its own down-file, as they share this file system): two directors (web-lb1 at 101, web-lb2 at 100),
# DR to two web servers holding the VIP on lo, a sorry server on each director, a client on the
# segment making one request every 100 ms throughout.
#  - touching web-lb1's down-file lowers it to 96: web-lb2 takes over, and the client keeps
#    being answered;
#  - with every real server down the sorry server (on the new master) answers;
#  - the real servers back and the down-file removed: web-lb1 takes over again, answered.
set -u
VIP=172.16.0.10
. ./lib.sh
fail() {
    echo "FAIL: $*"
    for d in d1 d2; do echo "--- $d"; ip netns exec $d ipvsadm -Ln; tail -n 15 /tmp/$d.log; done
    exit 1
}
for ns in sw client d1 d2 rs1 rs2; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n sw link add lan type bridge; ip -n sw link set lan up
wire client eth0 lan 172.16.0.50/16
wire d1 eth0 lan 172.16.0.1/16
wire d2 eth0 lan 172.16.0.2/16
serve() {  # NS: "hello from NS" on port 80
    mkdir -p "/srv/$1"; echo "hello from $1" >"/srv/$1/index.html"
    ip netns exec "$1" busybox httpd -f -p 80 -h "/srv/$1" & eval "pid_$1=$!"
}
for i in 1 2; do
    wire rs$i eth0 lan 172.16.1.1$i/16
    ip netns exec rs$i sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
    ip -n rs$i addr add $VIP/32 dev lo
    serve rs$i
done
# The sorry server: 127.0.0.1:80 on each director (IPVS delivers to a local address locally).
mkdir -p /srv/sorry; echo "hello from sorry" >/srv/sorry/index.html
for d in d1 d2; do ip netns exec $d busybox httpd -f -p 80 -h /srv/sorry & done

shorten='s/interval: 6s, timeout: 3s, retries: 3, retry_delay: 3s/interval: 300ms, timeout: 1s/'
sed -e "$shorten" -e 's#/run/directord-web-down#/run/d1-down#' d3-web-dr.yaml >/tmp/d1.yaml
sed -e "$shorten" -e 's#/run/directord-web-down#/run/d2-down#' d3-web-dr.yaml >/tmp/d2.yaml
grep -q "interval: 300ms" /tmp/d1.yaml || fail "the example's check line changed: update this test"
has_vip() { ip -n "$1" addr show dev eth0 | grep "$VIP/16" >/dev/null; }
now_ms() { busybox awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
start d1 /tmp/d1.yaml --node web-lb1
wait_for 10 has_vip d1 || fail "d1 did not become master"
start d2 /tmp/d2.yaml --node web-lb2
wait_for 10 grep -qs "entering BACKUP" /tmp/d2.log || fail "d2 is not backup"
for d in d1 d2; do
    for rs in 172.16.1.11 172.16.1.12; do
        director=$d wait_table 10 "-> $rs:80 Route 1" || fail "$d: $rs not programmed"
    done
done
# Persistence (50 s): one client sticks to one real server.
got=$(answers 4)
say "d1 master: $got"
case "$got" in "rs1=4 " | "rs2=4 ") ;; *) fail "d1 master: expected 4 answers from one real server, got $got" ;; esac

# One request every 100 ms until /tmp/stop appears: "rsN", "sorry" or "-" (unanswered).
client_loop() {
    rm -f /tmp/stop
    while [ ! -e /tmp/stop ]; do
        ip netns exec client timeout 2 wget -q -O - "http://$VIP/" 2>/dev/null |
            awk '{ print $3 } END { if (NR == 0) print "-" }'
        sleep 0.1
    done >"/tmp/$1.txt"
}
summary() { sort "/tmp/$1.txt" | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'; }
# DR without connection sync: a connection opened through the old master whose next packet
# reaches the new one after the switch is not in the new one's table and dies (seen once in
# six runs under TCG). One such request per switch is physics; two are a fault.
expect_all_answered() {
    local lost
    lost=$(grep -c -- "^-$" "/tmp/$1.txt" || true)
    say "$1: $(wc -l <"/tmp/$1.txt") requests: $(summary "$1")"
    [ "$lost" -le 1 ] || fail "$1: $lost requests unanswered"
}

say "maintenance: touch d1's down-file"
client_loop takeover &
loop=$!
sleep 1
t0=$(now_ms)
: >/run/d1-down
wait_for 10 has_vip d2 || fail "d2 did not take over"
say "d2 took over $(( $(now_ms) - t0 )) ms after the touch"
sleep 1.5
: >/tmp/stop; wait $loop
expect_all_answered takeover
grep -q "effective priority 101 -> 96" /tmp/d1.log || fail "d1 did not lower its priority"

say "every real server down: the sorry server on d2 answers"
kill "$pid_rs1" "$pid_rs2"
director=d2 wait_table 10 "-> 127.0.0.1:80 Route" || fail "no sorry server on d2"
expect_answers 3 "sorry=3 " "all real servers down"
grep -q "web: quorum lost" /tmp/d2.log || fail "no quorum line on d2"

say "real servers back, down-file removed: d1 takes over again"
serve rs1; serve rs2
director=d2 wait_table 10 "127.0.0.1:80" absent || fail "the sorry server stayed on d2"
back_to_d1() { rm -f /run/d1-down; wait_for 10 has_vip d1; }
while_requests failback 1.5 back_to_d1 || fail "d1 did not take the VIP back"
expect_all_answered failback
has_vip d2 && fail "both directors hold the VIP"
kill -TERM "$pid_d1" "$pid_d2"; wait "$pid_d1" "$pid_d2"
say "PASS"
