# Helpers of the in-VM scenarios (sourced). The director's namespace is $director (default
# "director"), the
# client's "client", the VIP $VIP (default 10.0.0.100).
VIP=${VIP:-10.0.0.100}
say() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
# The director's IPVS table, runs of spaces squeezed.
table() { ip netns exec "${director:-director}" ipvsadm -Ln | tr -s ' '; }
# wait_table SECONDS PATTERN [absent]
wait_table() {
    for _ in $(seq $(($1 * 20))); do
        if [ "${3:-}" = absent ]; then table | grep -q -- "$2" || return 0
        else table | grep -q -- "$2" && return 0; fi
        sleep 0.05
    done
    return 1
}
# answers N: which server answered N requests to the VIP (or $TARGET, ADDRESS:PORT), counted
# ("rs1=2 rs2=4 "). Each call sends from its own window of client ports, below the default range:
# IPVS keeps a closed connection two minutes, and a request from a port an earlier call used
# would follow that entry to its old real server instead of being scheduled (CI saw
# "rs1=1 rs2=3" under round robin).
answers() {
    local calls low range
    calls=$(cat /tmp/answers.calls 2>/dev/null || echo 0)
    echo $((calls + 1)) >/tmp/answers.calls
    low=$((10000 + calls % 200 * 100))
    range=$(ip netns exec client sysctl -n net.ipv4.ip_local_port_range)
    ip netns exec client sysctl -qw net.ipv4.ip_local_port_range="$low $((low + 99))"
    for _ in $(seq "$1"); do
        ip netns exec client timeout 3 wget -q -O - "http://${TARGET:-$VIP}/" 2>/dev/null | awk '{ print $3 }'
    done | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
    ip netns exec client sysctl -qw net.ipv4.ip_local_port_range="$range"
}
# expect_answers N EXPECTED WHAT: N requests are answered as EXPECTED ("rs1=2 rs2=4 ").
expect_answers() {
    local got
    got=$(answers "$1")
    say "$3: $got"
    [ "$got" = "$2" ] || fail "$3: expected $2, got $got"
}
# wire NS IFACE BRIDGE ADDRESS/PREFIX: NS's IFACE on BRIDGE (in namespace sw), addressed, up.
wire() {
    ip link add "$2" netns "$1" type veth peer name "$1-$2" netns sw
    ip -n sw link set "$1-$2" master "$3" up
    ip -n "$1" addr add "$4" dev "$2"; ip -n "$1" link set "$2" up
}
# start NODE: directord in namespace NODE with /tmp/NODE.yaml, logging to /tmp/NODE.log; its
# pid in $pid_NODE. With a cluster file: start NODE FILE --node NAME.
start() {
    local node=$1 file=${2:-/tmp/$1.yaml}
    shift $(($# < 2 ? $# : 2))
    ip netns exec "$node" ./directord -f "$file" --foreground --control-socket "/tmp/$node.sock" \
        "$@" >>"/tmp/$node.log" 2>&1 &
    eval "pid_$node=$!"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds, polled every 50 ms.
wait_for() { local n=$1; shift; for _ in $(seq $((n * 20))); do "$@" && return 0; sleep 0.05; done; return 1; }
# while_requests NAME SETTLE COMMAND...: the scenario's own `client_loop NAME` runs from 1 s
# before COMMAND until SETTLE seconds after it; COMMAND's status is returned.
while_requests() {
    local name=$1 settle=$2 loop status=0
    shift 2
    client_loop "$name" &
    loop=$!
    sleep 1
    "$@" || status=$?
    [ "$status" = 0 ] && sleep "$settle"
    : >/tmp/stop
    wait "$loop"
    return "$status"
}
# nat_topology RS...: namespaces client (10.0.0.2) -- director (10.0.0.1 and the VIP on eth0,
# 10.0.1.254 on bridge br1, forwarding) -- each RS (10.0.1.1, .2, ... in order) with its default
# route through the director (NAT replies), serving /srv/RS on port 80 (serve RS; pid in pid_RS).
serve() { ip netns exec "$1" busybox httpd -f -p 80 -h "/srv/$1" & eval "pid_$1=$!"; }
nat_topology() {
    local ns rs host=1
    for ns in client director "$@"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    ip link add eth0 netns client type veth peer name eth0 netns director
    ip -n client addr add 10.0.0.2/24 dev eth0; ip -n client link set eth0 up
    ip -n director addr add 10.0.0.1/24 dev eth0; ip -n director addr add "$VIP/24" dev eth0
    ip -n director link set eth0 up
    ip -n director link add br1 type bridge
    ip -n director addr add 10.0.1.254/24 dev br1; ip -n director link set br1 up
    ip netns exec director sysctl -qw net.ipv4.ip_forward=1
    for rs in "$@"; do
        ip link add eth0 netns "$rs" type veth peer name "p-$rs" netns director
        ip -n director link set "p-$rs" master br1 up
        ip -n "$rs" addr add "10.0.1.$host/24" dev eth0; ip -n "$rs" link set eth0 up
        ip -n "$rs" route add default via 10.0.1.254
        mkdir -p "/srv/$rs"; echo "hello from $rs" >"/srv/$rs/index.html"
        serve "$rs"
        host=$((host + 1))
    done
}
