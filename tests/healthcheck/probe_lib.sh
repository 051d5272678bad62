# Shared by the scripts that run checks one at a time (probe_once) against real servers in a
# namespace of their own. The caller sets NS and WORK; probe_namespace makes NS and, on exit,
# runs the caller's stop_servers (if any) and removes NS and WORK.
say() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
probe_namespace() {
    trap remove_namespace EXIT
    ip netns add "$NS"
    in_ns ip link set lo up
    in_ns sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
    have6=
    in_ns ip -6 addr show dev lo 2>/dev/null | grep -q "inet6 ::1/128" && have6=1
    return 0
}
# expect UP|DOWN 'REASON REGEX' CHECK TARGET
expect() {
    local want=$1 reason=$2 out
    out=$(in_ns "$PROBE_ONCE" "$3" "$4")
    say "$4 $3 -> $out"
    [[ "$out" == "$want: "* ]] || fail "expected $want"
    echo "$out" | grep -Eq -- "$reason" || fail "reason does not match /$reason/"
}
remove_namespace() {
    local rc=$?
    declare -F stop_servers >/dev/null && stop_servers
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$rc"
}
