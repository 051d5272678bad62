# The BGP tier's lab (sourced after scripts/lab.sh): a router rt running FRR with ECMP, a
# client c1 behind it and directors d1..d3, each on its own dual-stack link to rt (10.0.i.0/24,
# fd00:0:i::/64) and delivering the VIPs (one IPv4, one IPv6) locally. Directors d1 and d2 run FRR, d3 runs BIRD, all with the configs
# shipped in examples/bgp (numbers changed per director). Routing engines run in the
# foreground, so lab_cleanup stops them with the rest.
BGP_VIP=192.0.2.10
BGP_VIP6=2001:db8::10
LAB_IPV6=1  # dual-stack namespaces
BGP_EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../examples/bgp" && pwd)
declare -A ENGINE_PIDS=()

# bgp_lab_up: the namespaces and links; no routing engine yet.
bgp_lab_up() {
    local i
    add_ns rt
    add_ns c1
    ip -n "$(ns rt)" link add rt-c1 type veth peer name c1-rt netns "$(ns c1)"
    ip -n "$(ns rt)" addr add 10.9.0.1/24 dev rt-c1
    ip -n "$(ns c1)" addr add 10.9.0.2/24 dev c1-rt
    ip -n "$(ns rt)" link set rt-c1 up
    ip -n "$(ns c1)" link set c1-rt up
    ip -n "$(ns c1)" route add default via 10.9.0.1
    ip -n "$(ns rt)" addr add fd00:9::1/64 dev rt-c1 nodad
    ip -n "$(ns c1)" addr add fd00:9::2/64 dev c1-rt nodad
    ip -n "$(ns c1)" -6 route add default via fd00:9::1
    for i in 1 2 3; do
        add_ns "d$i"
        ip -n "$(ns rt)" link add "rt-d$i" type veth peer name "d$i-rt" netns "$(ns "d$i")"
        ip -n "$(ns rt)" addr add "10.0.$i.1/24" dev "rt-d$i"
        ip -n "$(ns "d$i")" addr add "10.0.$i.2/24" dev "d$i-rt"
        ip -n "$(ns rt)" link set "rt-d$i" up
        ip -n "$(ns "d$i")" link set "d$i-rt" up
        ip -n "$(ns "d$i")" route add default via "10.0.$i.1"
        ip -n "$(ns rt)" addr add "fd00:0:$i::1/64" dev "rt-d$i" nodad
        ip -n "$(ns "d$i")" addr add "fd00:0:$i::2/64" dev "d$i-rt" nodad
        ip -n "$(ns "d$i")" -6 route add default via "fd00:0:$i::1"
    done
    # L4 hashing: flows of one client spread over the paths (the default hashes hosts).
    ip netns exec "$(ns rt)" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
        net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
}

# frr_up NODE CONFIG: zebra, bgpd and bfdd in NODE's namespace, CONFIG loaded through vtysh once
# bgpd and bfdd are zebra's clients (before that, bgpd's BFD registrations are lost for good).
frr_up() {
    local node=$1 conf=$2 n d
    n=$(ns "$node")
    mkdir -p "/var/run/frr/$n"
    chown frr:frr "/var/run/frr/$n"
    LAB_DIRS+=("/var/run/frr/$n")
    for d in zebra bgpd bfdd; do
        ip netns exec "$n" "/usr/lib/frr/$d" -N "$n" -F datacenter -f /dev/null \
            -i "/var/run/frr/$n/$d.pid" --log stdout >>"$WORK/$node-frr.log" 2>&1 </dev/null &
        LAB_PIDS+=($!)
        ENGINE_PIDS[$node]+=" $!"
        [ "$d" = zebra ] && { wait_for 10 test -S "/var/run/frr/$n/zserv.api" || fail "$node: zebra did not start"; }
    done
    for d in zebra bgpd bfdd; do
        wait_for 10 test -S "/var/run/frr/$n/$d.vty" || fail "$node: FRR's $d did not start"
    done
    until_seconds 20 zebra_serves "$n" || fail "$node: bgpd and bfdd did not connect to zebra"
    vtysh -N "$n" -f "$conf" >>"$WORK/$node-frr.log" 2>&1 || fail "$node: vtysh refused $conf"
}
zebra_serves() {
    local clients
    clients=$(vtysh -N "$1" -c 'show zebra client summary' 2>/dev/null)
    [[ "$clients" == *bgp* && "$clients" == *bfd* ]]
}

# until_seconds SECONDS COMMAND...: polls a slow COMMAND until it succeeds or SECONDS have passed.
until_seconds() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# bird_up NODE CONFIG: BIRD in NODE's namespace.
bird_up() {
    local node=$1 conf=$2
    bird -p -c "$conf" || fail "BIRD refuses $conf"
    ip netns exec "$(ns "$node")" bird -f -c "$conf" -s "$WORK/$node.bird.ctl" \
        -P "$WORK/$node.bird.pid" >>"$WORK/$node-bird.log" 2>&1 </dev/null &
    LAB_PIDS+=($!)
    ENGINE_PIDS[$node]=$!
}

# director_engine_conf I FILE: the example's director config for director I.
director_engine_conf() {
    sed -e "s/65011/6501$1/; s/65013/6501$1/; s/10\.0\.[13]\./10.0.$1./g; s/fd00:0:[13]::/fd00:0:$1::/g" \
        "$BGP_EXAMPLES/$2"
}

# next_hops [VIP]: the router's paths to the VIP (default $BGP_VIP).
next_hops() {
    local vip=${1:-$BGP_VIP} family=-4
    [[ "$vip" == *:* ]] && family=-6
    ip -n "$(ns rt)" "$family" route show "$vip" | grep -c 'via ' || true
}

has_next_hops() { [ "$(next_hops "${2:-}")" = "$1" ]; }

# wait_next_hops COUNT SECONDS [VIP]: the router has COUNT paths within SECONDS; prints the
# time taken.
wait_next_hops() {
    local t0=$EPOCHREALTIME
    # (run in $(...): the message goes to stderr, or the failure would be silent)
    wait_for "$2" has_next_hops "$1" "${3:-}" ||
        fail "the router has $(next_hops "${3:-}") paths to ${3:-$BGP_VIP}, not $1, after $2 s" >&2
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

# bfd_peers_up: how many of the router's BFD sessions are up.
bfd_peers_up() {
    vtysh -N "$(ns rt)" -c 'show bfd peers json' 2>/dev/null | jq '[.[] | select(.status == "up")] | length'
}
has_bfd_peers_up() { [ "$(bfd_peers_up)" = "$1" ]; }

# stays_next_hops COUNT SECONDS: the router keeps COUNT paths all along.
stays_next_hops() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ "$(next_hops)" = "$1" ] || fail "the router went to $(next_hops) paths (expected $1 all along)"
        sleep 0.1
    done
}

# spread CONNECTIONS [6]: which director answered each of the client's new connections to
# the IPv4 VIP, or the IPv6 one ("12 d1 10 d2 8 d3").
spread() {
    local i target="TCP4:$BGP_VIP"
    [ "${2:-}" = 6 ] && target="TCP6:[$BGP_VIP6]"
    for ((i = 0; i < $1; i++)); do
        ip netns exec "$(ns c1)" socat -T2 - "$target:80,connect-timeout=2" </dev/null 2>/dev/null || echo none
    done | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 }'
}

# director_yaml I ENGINE: director I's configuration: the VIPs announced while their real
# server (one listener) answers its check (fall 2 x 200 ms), hold-down 2 s, drain 1 s; the
# IPv6 VIP with bgp.vips' defaults.
director_yaml() {
    local reader="[ /usr/bin/vtysh, -N, $(ns "d$1"), -c, show bgp summary json ]"
    local bfd_reader="[ /usr/bin/vtysh, -N, $(ns "d$1"), -c, show bfd peers json ]"
    if [ "$2" = bird ]; then
        reader="[ /usr/sbin/birdc, -s, $WORK/d$1.bird.ctl, show protocols ]"
        bfd_reader="[ /usr/sbin/birdc, -s, $WORK/d$1.bird.ctl, show bfd sessions ]"
    fi
    mkdir -p "$WORK/d$1"
    cat <<YAML
maintenance_file: $WORK/d$1/maintenance
process: { root_programs: [ /usr/bin/vtysh, /usr/sbin/birdc ] }
bgp:
  engine: $2
  status_command: $reader
  bfd_command: $bfd_reader
  drain: 1s
  hold_down: 2s
  vips: [ { address: $BGP_VIP, down_file: $WORK/d$1/web.down } ]
virtual_servers:
  - name: web
    address: $BGP_VIP:80
    announce: bgp
    forwarding: dr
    scheduler: mh
    check: { tcp: {}, interval: 200ms, timeout: 200ms, fall: 2, rise: 1 }
    real_servers: [ { address: 127.0.0.1:8080 } ]
  - name: web6
    address: "[$BGP_VIP6]:80"
    announce: bgp
    forwarding: dr
    scheduler: mh
    check: { tcp: {}, interval: 200ms, timeout: 200ms, fall: 2, rise: 1 }
    real_servers: [ { address: "[::1]:8080" } ]
YAML
}

# real_server_up I / real_server_down I: the target of director I's check.
declare -A REAL_PID=()
real_server_up() {
    # One listener for both checks: 127.0.0.1 and ::1.
    ip netns exec "$(ns "d$1")" socat TCP6-LISTEN:8080,ipv6only=0,reuseaddr,fork SYSTEM:true \
        >/dev/null 2>&1 </dev/null &
    REAL_PID[$1]=$!
    LAB_PIDS+=($!)
}
real_server_down() { kill "${REAL_PID[$1]}"; wait "${REAL_PID[$1]}" 2>/dev/null || true; }

delivered() {
    ip -n "$(ns "$1")" route show table local proto 249 | grep -F "local $BGP_VIP dev lo" >/dev/null &&
        ip -n "$(ns "$1")" -6 route show table local proto 249 | grep -F "local $BGP_VIP6 dev lo" >/dev/null
}

# bgp_tier_up: the lab with its engines (d1, d2 FRR; d3 BIRD), each director running directord
# (log: $WORK/dN.log) and its VIP answering "dN" to the client.
bgp_tier_up() {
    local i engine
    bgp_lab_up
    frr_up rt "$BGP_EXAMPLES/frr-router.conf"
    for i in 1 2 3; do
        engine=frr
        [ "$i" = 3 ] && engine=bird
        director_engine_conf "$i" "$engine-director.conf" >"$WORK/d$i-$engine.conf"
        chmod 644 "$WORK/d$i-$engine.conf"
        "${engine}_up" "d$i" "$WORK/d$i-$engine.conf"
        director_yaml "$i" "$engine" >"$(config "d$i")"
        real_server_up "$i"
        start "d$i"
    done
    for i in 1 2 3; do
        wait_for 5 delivered "d$i" || fail "d$i has no local delivery route of protocol 249"
        # What the client's connections reach: the VIP, delivered locally (a listener needs it).
        ip netns exec "$(ns "d$i")" socat "TCP4-LISTEN:80,bind=$BGP_VIP,reuseaddr,fork" \
            SYSTEM:"echo d$i" >>"$WORK/d$i-vip.log" 2>&1 </dev/null &
        LAB_PIDS+=($!)
        ip netns exec "$(ns "d$i")" socat "TCP6-LISTEN:80,ipv6only=1,reuseaddr,fork" \
            SYSTEM:"echo d$i" >>"$WORK/d$i-vip.log" 2>&1 </dev/null &
        LAB_PIDS+=($!)
    done
}
