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
# answers N: which server answered N requests to the VIP, counted ("rs1=2 rs2=4 ").
answers() {
    for _ in $(seq "$1"); do
        ip netns exec client timeout 3 wget -q -O - "http://$VIP/" 2>/dev/null | awk '{ print $3 }'
    done | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
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
