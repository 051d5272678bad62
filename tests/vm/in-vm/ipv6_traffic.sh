#!/bin/bash
# Inside the VM, dual stack's IPv6 half end to end: two directors run an IPv6 sync group (the
# outside VIP fd00::100 and the real servers' inside gateway fd01::fe, VRRPv3 over IPv6) and
# program two IPv6 IPVS services on it: NAT [fd00::100]:80 to rs1/rs2 behind the gateway, and
# DR [fd00::100]:8080 to rs3/rs4 holding the VIP on lo. A client on the outside segment makes
# a request to each service every 100 ms while d1 is killed (-9) and while it comes back and
# preempts: every request but the one or two in flight at each switch is answered, and the
# answers come from the real servers through whichever director holds the VIPs.
set -u
VIP=fd00::100
. ./lib.sh
fail() {
    echo "FAIL: $*"
    for d in d1 d2; do echo "--- $d"; ip netns exec $d ipvsadm -Ln; tail -n 20 /tmp/$d.log; done
    exit 1
}
for ns in sw client d1 d2 rs1 rs2 rs3 rs4; do
    ip netns add $ns
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip -n $ns link set lo up
done
for br in out in; do ip -n sw link add $br type bridge; ip -n sw link set $br up; done
wire client eth0 out fd00::2/64
for i in 1 2; do
    wire d$i eth0 out fd00::1$i/64
    wire d$i eth1 in fd01::1$i/64
    ip netns exec d$i sysctl -qw net.ipv6.conf.all.forwarding=1
done
serve() {  # NS PORT: "hello from NS" on PORT, both families
    mkdir -p "/srv/$1"; echo "hello from $1" >"/srv/$1/index.html"
    ip netns exec "$1" busybox httpd -f -p "[::]:$2" -h "/srv/$1" &
}
for i in 1 2; do  # NAT: behind the directors, the inside gateway VIP as their route
    wire rs$i eth0 in fd01::$i/64
    ip -n rs$i -6 route add default via fd01::fe
    serve rs$i 80
done
for i in 3 4; do  # DR: on the outside segment, the VIP on lo (lo's addresses get no NA on eth0)
    wire rs$i eth0 out fd00::$i/64
    ip -n rs$i addr add $VIP/128 dev lo
    serve rs$i 8080
done

write_config() {  # NODE PRIORITY
    cat >/tmp/$1.yaml <<YAML
vrrp:
  instances:
    - { name: outside6, interface: eth0, vrid: 61, priority: $2, version: 3, advert_interval: 100ms, vips: ['$VIP/64'] }
    - { name: inside6, interface: eth1, vrid: 62, priority: $2, version: 3, advert_interval: 100ms, vips: ['fd01::fe/64'] }
  sync_groups:
    - { name: v6, instances: [outside6, inside6] }
virtual_servers:
  - name: web6-nat
    address: '[$VIP]:80'
    scheduler: rr
    forwarding: nat
    check: { http: { path: / }, interval: 300ms, timeout: 1s }
    real_servers: [{ address: '[fd01::1]:80' }, { address: '[fd01::2]:80' }]
  - name: web6-dr
    address: '[$VIP]:8080'
    scheduler: rr
    forwarding: dr
    check: { tcp: {}, interval: 300ms, timeout: 1s }
    real_servers: [{ address: '[fd00::3]:8080' }, { address: '[fd00::4]:8080' }]
YAML
}
write_config d1 101
write_config d2 100
has_vip() { ip -n "$1" addr show dev eth0 | grep -q "$VIP/64"; }
start d1
wait_for 10 has_vip d1 || fail "d1 did not become master"
start d2
wait_for 10 grep -qs "outside6: entering BACKUP" /tmp/d2.log || fail "d2 is not backup"
for d in d1 d2; do
    for rs in "\[fd01::1\]:80 Masq" "\[fd01::2\]:80 Masq" "\[fd00::3\]:8080 Route" "\[fd00::4\]:8080 Route"; do
        director=$d wait_table 10 "-> $rs 1" || fail "$d: $rs not programmed"
    done
done
say "d1: $(director=d1 table | grep -c -- '-> \[') destinations in $(director=d1 table | grep -c '^TCP \[fd00::100\]') IPv6 services"
# The VIP is deprecated (never the source of d1's own connections): a check of a DR real
# server left from it and the reply stayed on the real server, which holds the VIP too.
ip -n d1 addr show dev eth0 | grep -A1 "$VIP/64" | grep -q "preferred_lft 0sec" ||
    fail "the VIP is not deprecated: $(ip -n d1 addr show dev eth0)"

# One request to each service every 100 ms until /tmp/stop appears: "rsN" or "-" (unanswered).
client_loop() {
    rm -f /tmp/stop
    while [ ! -e /tmp/stop ]; do
        for port in 80 8080; do
            ip netns exec client timeout 2 wget -q -O - "http://[$VIP]:$port/" 2>/dev/null |
                awk -v p=$port '{ print p, $3 } END { if (NR == 0) print p, "-" }'
        done
        sleep 0.1
    done >"/tmp/$1.txt"
}
summary() { sort "/tmp/$1.txt" | uniq -c | awk '{ printf "%s:%s=%s ", $2, $3, $1 }'; }
# Without connection sync, a request in flight at the switch can die (see d3_web_dr): at most
# two per service and switch.
expect_answered() {
    local port lost
    say "$1: $(wc -l <"/tmp/$1.txt") requests: $(summary "$1")"
    for port in 80 8080; do
        lost=$(grep -c "^$port -$" "/tmp/$1.txt" || true)
        [ "$lost" -le 2 ] || fail "$1: $lost requests to port $port unanswered"
    done
    grep -q "^80 rs[12]$" "/tmp/$1.txt" || fail "$1: NAT answers did not come from rs1/rs2"
    grep -q "^8080 rs[34]$" "/tmp/$1.txt" || fail "$1: DR answers did not come from rs3/rs4"
    grep -Eq "^80 rs[34]|^8080 rs[12]" "/tmp/$1.txt" && fail "$1: an answer from the wrong service"
    return 0
}

while_requests before 0.5 true
expect_answered before

say "kill -9 d1: d2 takes both VIPs"
crash_d1() {
    kill -KILL "$pid_d1"
    wait "$pid_d1" 2>/dev/null
    ip -n d1 addr del $VIP/64 dev eth0; ip -n d1 addr del fd01::fe/64 dev eth1  # a dead host's go
    wait_for 5 has_vip d2 && wait_for 5 grep -qs "inside6: entering MASTER" /tmp/d2.log
}
while_requests failover 2 crash_d1 || fail "d2 did not take both VIPs"
expect_answered failover

say "d1 back: it preempts both"
return_d1() { start d1; wait_for 10 has_vip d1; }
while_requests failback 2 return_d1 || fail "d1 did not take the VIP back"
expect_answered failback
has_vip d2 && fail "both directors hold $VIP"
kill -TERM "$pid_d1" "$pid_d2"; wait "$pid_d1" "$pid_d2"
say "PASS"
