# The namespace lab (sourced, bash): used by the integration tests and the demo.
#
# A lab is a private L2 segment made of network namespaces only: a switch namespace
# holding bridge br0 (and br1 for the "inside" segment), directors d1..dN and a client
# c1, each wired with a veth whose peer is a bridge port. Nothing touches the root
# namespace and there is no default route, so no packet can leave the lab. Every
# namespace name carries a unique prefix, and lab_cleanup (run on any exit) stops the
# processes this test started, by PID, then any process left inside its namespaces, and
# deletes the namespaces.
set -euo pipefail

DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
LAB=${LAB:-dt$$}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/directord-test.XXXXXX")
chmod 755 "$WORK"  # programs run as nobody by default: they must reach what they run
SUBNET=10.99.0
INSIDE_SUBNET=10.98.0
VIP=${SUBNET}.100
# With LAB_IPV6=1 before lab_up: dual stack, fd99::i/64 beside 10.99.0.i.
SUBNET6=fd99:
VIP6=${SUBNET6}:100
INSIDE_VIP=${INSIDE_SUBNET}.100
declare -a LAB_NAMESPACES=()
declare -a LAB_PIDS=()
declare -a LAB_DIRS=()  # made outside $WORK (e.g. a routing engine's run directory)
declare -A NODE_PID=()

ns() { printf '%s-%s' "$LAB" "$1"; }
# (The time from bash itself: no fork, and busybox's date, in the VM, has no %N.)
say() {
    local now=$EPOCHREALTIME
    local ms=${now#*.}
    printf '[%(%T)T.%s] %s\n' "${now%.*}" "${ms:0:3}" "$*"
}

lab_cleanup() {
    local rc=$?
    local pid
    for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${LAB_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # Whatever still runs in the lab's namespaces was started there by this test too (the
    # child of a wrapper, a program a script forked): the namespaces are this lab's own.
    local n left
    left=$(for n in "${LAB_NAMESPACES[@]}"; do ip netns pids "$n" 2>/dev/null || true; done)
    if [ -n "$left" ]; then
        kill -TERM $left 2>/dev/null || true
        sleep 0.5
        kill -KILL $left 2>/dev/null || true
    fi
    for n in "${LAB_NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    for n in "${LAB_DIRS[@]}"; do rm -rf "$n"; done
    if [ "$rc" != 0 ] || [ -n "${SHOW_LOGS:-}" ]; then
        for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "----- $f"; tail -n 40 "$f"; }; done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    say "FAIL: $*"
    exit 1
}

add_ns() {
    local n
    n=$(ns "$1")
    ip netns add "$n"
    LAB_NAMESPACES+=("$n")
    if [ -n "${LAB_IPV6:-}" ]; then
        # Link-local addresses usable at once (no DAD wait); no router solicitations to wait on.
        ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0
    else
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
    ip -n "$n" link set lo up
}

# wire NODE IFACE BRIDGE ADDRESS MAC
wire() {
    local node=$1 iface=$2 bridge=$3 address=$4 mac=$5
    local port="${iface:3}${node}"  # e.g. 0d1, unique per bridge
    ip -n "$(ns "$node")" link add "$iface" address "$mac" type veth peer name "p$port" netns "$(ns sw)"
    ip -n "$(ns sw)" link set "p$port" master "$bridge" up
    ip -n "$(ns "$node")" addr add "$address/24" dev "$iface"
    [ -n "${LAB_IPV6:-}" ] && [ "$iface" = eth0 ] &&
        ip -n "$(ns "$node")" addr add "$SUBNET6:${address##*.}/64" dev "$iface"
    ip -n "$(ns "$node")" link set "$iface" up
}

# lab_up DIRECTORS [inside]: directors d1..dDIRECTORS on 10.99.0.i, client c1 on .10;
# with "inside", a second segment 10.98.0.0/24 (eth1 of each director).
lab_up() {
    local count=$1 inside=${2:-} i
    add_ns sw
    for br in br0 ${inside:+br1}; do
        ip -n "$(ns sw)" link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
        ip -n "$(ns sw)" link set "$br" up
    done
    for ((i = 1; i <= count; i++)); do
        add_ns "d$i"
        wire "d$i" eth0 br0 "$SUBNET.$i" "02:99:00:00:00:0$i"
        [ -n "$inside" ] && wire "d$i" eth1 br1 "$INSIDE_SUBNET.$i" "02:98:00:00:00:0$i"
    done
    add_ns c1
    wire c1 eth0 br0 "$SUBNET.10" 02:99:00:00:00:0a
    for ((i = 1; i <= count; i++)); do
        for _ in $(seq 50); do
            ip netns exec "$(ns c1)" ping -c1 -W1 -q "$SUBNET.$i" >/dev/null 2>&1 && break
            sleep 0.1
        done
    done
}

# config NODE: the path of NODE's config file (written by the test).
config() { printf '%s/%s.yaml' "$WORK" "$1"; }

# control_socket NODE: where NODE's directord listens for directorctl.
control_socket() { printf '%s/%s.sock' "$WORK" "$1"; }

# cpu_ticks PID...: user + system CPU of the processes so far, in clock ticks (getconf CLK_TCK).
cpu_ticks() { for pid; do cat "/proc/$pid/stat"; done | awk '{ n += $14 + $15 } END { print n }'; }

# loop_lag NODE: how late NODE's event loop ran a timer since it started (its status), and
# its longest turn of check work, in ms: "p99<=BOUND max MAX turn TURN" (BOUND: the histogram
# bucket 99 % stayed within; TURN "-" from a directord that does not time them).
loop_lag() {
    "${DIRECTORCTL:-$(dirname "$DIRECTORD")/directorctl}" -s "$(control_socket "$1")" status --json |
        jq -r '.daemon | [(.loop_lag.p99_seconds_at_most // "inf"), .loop_lag.max_seconds,
                          (.check_turns.max_seconds // "-")] | @tsv' |
        awk '{ printf "p99<=%s max %.1f turn %s", ($1 == "inf" ? "inf" : $1 * 1000), $2 * 1000,
                      ($3 == "-" ? "-" : sprintf("%.1f", $3 * 1000)) }'
}

# buckets NAMESPACE ADDRESS FAMILY: a histogram's cumulative buckets from the metrics served at
# ADDRESS in NAMESPACE, "le count" per line (e.g. FAMILY directord_loop_lag_seconds).
buckets() {
    ip netns exec "$1" curl -s "http://$2/metrics" |
        awk -F'[" ]' -v f="$3_bucket{le=" '$1 == f { print $2, $NF }'
}
# buckets_between BEFORE AFTER: "p99<=B worst<=W" (ms, bucket bounds) of the samples a histogram
# took between two reads of its buckets.
buckets_between() {
    paste "$1" "$2" | awk '{ le[NR] = $1; d[NR] = $4 - $2 } END {
        total = d[NR]; p = w = "-"
        for (i = 1; i <= NR; i++) {
            b = le[i] == "+Inf" ? "inf" : le[i] * 1000
            if (p == "-" && d[i] >= 0.99 * total) p = b
            if (w == "-" && d[i] == total) w = b
        }
        printf "p99<=%s worst<=%s", p, w }'
}

# start NODE [CONFIG [ARGUMENTS...]]: runs directord in NODE's namespace, logging to $WORK/NODE.log.
start() {
    local node=$1 cfg=${2:-$(config "$1")}
    shift $(($# < 2 ? $# : 2))
    ip netns exec "$(ns "$node")" "$DIRECTORD" -f "$cfg" --foreground --log-level debug \
        --control-socket "$(control_socket "$node")" --state-file "$WORK/$node.state.json" \
        "$@" >>"$WORK/$node.log" 2>&1 </dev/null &
    NODE_PID[$node]=$!
    LAB_PIDS+=($!)
}

# stop NODE SIGNAL: sends SIGNAL and waits for the process to end.
stop() {
    local node=$1 sig=${2:-TERM} pid=${NODE_PID[$1]}
    kill "-$sig" "$pid"
    wait "$pid" 2>/dev/null || true
}

running() { kill -0 "${NODE_PID[$1]}" 2>/dev/null; }

# has_vip NODE [ADDRESS] [IFACE]: an IPv4 VIP is a /24, an IPv6 one a /64.
# (grep reads everything: with pipefail, grep -q could SIGPIPE ip and fail a match)
has_vip() {
    local address=${2:-$VIP}
    [[ "$address" == *:* ]] && address+=/64 || address+=/24
    ip -n "$(ns "$1")" -br addr show dev "${3:-eth0}" 2>/dev/null | grep -F " $address" >/dev/null
}

# wait_for SECONDS COMMAND...: polls every 20 ms.
wait_for() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 50; i++)); do "$@" && return 0; sleep 0.02; done
    return 1
}
not() { ! "$@"; }

# expect_vip_on NODE SECONDS [ADDRESS] [IFACE]: NODE holds the VIP within SECONDS, nobody else does.
expect_vip_on() {
    local node=$1 limit=$2 address=${3:-$VIP} iface=${4:-eth0} other
    wait_for "$limit" has_vip "$node" "$address" "$iface" || fail "$node did not take $address within ${limit}s"
    for other in "${!NODE_PID[@]}"; do
        [ "$other" = "$node" ] && continue
        if running "$other"; then
            wait_for 2 not has_vip "$other" "$address" "$iface" || fail "$other still holds $address beside $node"
        fi
    done
    say "$address is on $node"
}

# Keeps NODE's VIP state unchanged for SECONDS (e.g. nopreempt), by the clock: counted in
# polls, a loaded machine stretched 1.2 s into 1.9 s and saw a take-over that was due.
expect_stays() {
    local node=$1 seconds=$2 address=${3:-$VIP} end
    end=$((${EPOCHREALTIME/./} + $(microseconds "$seconds")))
    while ((${EPOCHREALTIME/./} < end)); do
        has_vip "$node" "$address" || fail "$address left $node"
        sleep 0.1
    done
}
# microseconds 1.25 -> 1250000: bash has no fractions, and a clock compared in microseconds
# costs no program per poll.
microseconds() {
    local whole=${1%%.*} fraction=
    [[ $1 == *.* ]] && fraction=${1#*.}
    fraction=${fraction}000000
    echo $((${whole:-0} * 1000000 + 10#${fraction:0:6}))
}

# Log line checks.
log_has() { grep -qs -- "$2" "$WORK/$1.log"; }
expect_log() { wait_for "${3:-5}" log_has "$1" "$2" || fail "$1's log lacks: $2"; }

# capture_start NAME [NODE] [FILTER]: tcpdump on NODE's eth0 (default the client).
capture_start() {
    local name=$1 node=${2:-c1} filter=${3:-arp or ip proto 112}
    ip netns exec "$(ns "$node")" tcpdump -i eth0 -n -U --immediate-mode -w "$WORK/$name.pcap" \
        "$filter" >"$WORK/$name.tcpdump" 2>&1 </dev/null &
    LAB_PIDS+=($!)
    CAPTURE_PID[$name]=$!
    wait_for 5 grep -qs 'listening on' "$WORK/$name.tcpdump" || fail "tcpdump did not start"
}
declare -A CAPTURE_PID=()
capture_stop() {
    kill -INT "${CAPTURE_PID[$1]}" 2>/dev/null || true
    wait "${CAPTURE_PID[$1]}" 2>/dev/null || true
}
# capture_text NAME: one line per packet with link-level header.
capture_text() { tcpdump -r "$WORK/$1.pcap" -n -e -tt 2>/dev/null; }
# bench_virtual_servers SERVERS CHECKED [SHIFT]: the benches' virtual_servers entries, PORTS
# real servers each (vs0 at 10.99.1.1:8000, vs1 at :8001, ...). The first CHECKED have TCP checks
# at 1 s against 127.0.0.(1 + their virtual server's number):BASE_PORT + (i % PORTS), where
# tcp_sink and probe_floor listen and count; the others have none, at 10.96.x.y:(80 + SHIFT).
bench_virtual_servers() {
    awk -v servers="$1" -v checks="$2" -v shift_="${3:-0}" -v ports="$PORTS" -v base="$BASE_PORT" 'BEGIN {
        for (i = 0; i < servers; i++) {
            v = int(i / ports)
            if (i % ports == 0) {
                printf "  - name: vs%d\n    address: 10.99.1.%d:%d\n", v, int(v / 250) + 1, 8000 + v % 250
                if (i < checks) print "    check: { tcp: {}, interval: 1s, timeout: 1s }"
                print "    real_servers:"
            }
            if (i < checks)
                printf "      - { address: 127.0.%d.%d:%d }\n", int((1 + v) / 256), (1 + v) % 256, base + i % ports
            else
                printf "      - { address: 10.96.%d.%d:%d }\n", int(i / 250), i % 250 + 1, 80 + shift_
        }
    }'
}
# quantiles Q...: of the numbers on stdin, each quantile Q (0.5 the median, 1 the largest) with
# two decimals, then "(n=COUNT)"; "n/a" when there are none.
quantiles() {
    sort -g | awk -v qs="$*" 'BEGIN { k = split(qs, q, " ") } { a[n++] = $1 }
        END { if (!n) { print "n/a"; exit }
              for (i = 1; i <= k; i++) { j = int(n * q[i]); printf "%.2f ", a[j < n ? j : n - 1] }
              printf "(n=%d)", n }'
}
# garps_from NAME MAC [ADDRESS]: number of gratuitous ARPs for ADDRESS sent by MAC.
garps_from() {
    capture_text "$1" | grep -c "^[0-9.]* $2 > ff:ff:ff:ff:ff:ff, ethertype ARP.*Request who-has ${3:-$VIP} (ff:ff:ff:ff:ff:ff) tell ${3:-$VIP}," || true
}
mac_of() { printf '02:99:00:00:00:0%s' "${1#d}"; }
# client_neighbour_mac ADDRESS: the MAC in the client's neighbour cache (ARP or NDP) for ADDRESS.
client_neighbour_mac() { ip -n "$(ns c1)" neigh show "$1" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }

# instance_yaml NAME IFACE VRID PRIORITY VIPS [extra lines...]: one instance item. VIPS is
# the inside of the YAML list; a bare address gets /24.
instance_yaml() {
    local name=$1 iface=$2 vrid=$3 prio=$4 vips=$5
    shift 5
    [[ "$vips" == */* || "$vips" == *{* ]] || vips="$vips/24"
    printf '    - name: %s\n      interface: %s\n      vrid: %s\n      priority: %s\n      vips: [%s]\n' \
        "$name" "$iface" "$vrid" "$prio" "$vips"
    local line
    for line in "$@"; do printf '      %s\n' "$line"; done
}

# virtual_server_yaml NAME ADDRESS CHECK REAL_SERVERS: one entry of virtual_servers: (CHECK and
# REAL_SERVERS in YAML flow style).
virtual_server_yaml() {
    printf '  - name: %s\n    address: %s\n    check: %s\n    real_servers: %s\n' "$@"
}

# fast_v3: the timers used where VRRPv2 itself is not under test (failover ~0.4 s).
FAST=("version: 3" "advert_interval: 100ms")

# start_keepalived NODE PRIORITY VERSION ADVERT_INT [PASSWORD|-] [nopreempt]: keepalived
# (VRRP only) as the interop peer on VRID 51 (KEEPALIVED_VRID, if set) with the lab VIP
# (KEEPALIVED_VIP, e.g. fd99::100/64, if set; and KEEPALIVED_EXCLUDED, an address held with the
# role but not advertised, if set); KEEPALIVED_GLOBALS, if set, is one more global_defs line.
start_keepalived() {
    local node=$1 prio=$2 version=$3 advert=$4 password=${5:--} mode=${6:-} dir="$WORK/$1-keepalived"
    mkdir -p "$dir"
    {
        echo "global_defs {"
        echo "    router_id $node"
        echo "    vrrp_version $version"
        [ -n "${KEEPALIVED_GLOBALS:-}" ] && echo "    $KEEPALIVED_GLOBALS"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    state BACKUP"
        echo "    interface eth0"
        echo "    virtual_router_id ${KEEPALIVED_VRID:-51}"
        echo "    priority $prio"
        echo "    advert_int $advert"
        [ "$mode" = nopreempt ] && echo "    nopreempt"
        if [ "$password" != - ]; then
            echo "    authentication {"
            echo "        auth_type PASS"
            echo "        auth_pass $password"
            echo "    }"
        fi
        echo "    virtual_ipaddress {"
        echo "        ${KEEPALIVED_VIP:-$VIP/24} dev eth0"
        echo "    }"
        if [ -n "${KEEPALIVED_EXCLUDED:-}" ]; then
            echo "    virtual_ipaddress_excluded {"
            echo "        $KEEPALIVED_EXCLUDED/24 dev eth0"
            echo "    }"
        fi
        echo "}"
    } >"$dir/keepalived.conf"
    run_keepalived "$node" "$dir/keepalived.conf"
}

# run_keepalived NODE CONF: keepalived (VRRP only) on NODE with a configuration of the test's own.
run_keepalived() {
    local node=$1 conf=$2 dir="$WORK/$1-keepalived"
    mkdir -p "$dir"
    ip netns exec "$(ns "$node")" keepalived -P -n -l -G -D -f "$conf" -p "$dir/parent.pid" \
        -r "$dir/vrrp.pid" -c "$dir/checkers.pid" -b "$dir/bfd.pid" >>"$WORK/$node.log" 2>&1 </dev/null &
    NODE_PID[$node]=$!
    LAB_PIDS+=($!)
    wait_for 5 test -s "$dir/vrrp.pid" || fail "keepalived did not start on $node"
    LAB_PIDS+=("$(cat "$dir/vrrp.pid")")
}

# stop_keepalived NODE TERM|KILL: KILL emulates a crash (the VRRP child and the parent).
stop_keepalived() {
    local node=$1 dir="$WORK/$1-keepalived" child
    child=$(cat "$dir/vrrp.pid")
    if [ "$2" = KILL ]; then
        # The parent stopped first: it respawns a VRRP child it sees die (the new child then
        # removed the VIP the test expects the crash to leave behind).
        kill -STOP "${NODE_PID[$node]}" 2>/dev/null || true
        kill -KILL "$child" "${NODE_PID[$node]}" 2>/dev/null || true
    else
        kill -TERM "${NODE_PID[$node]}"
    fi
    wait "${NODE_PID[$node]}" 2>/dev/null || true
    wait_for 5 not kill -0 "$child" 2>/dev/null || fail "keepalived's VRRP child survived"
    rm -f "$dir"/*.pid
}
