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
