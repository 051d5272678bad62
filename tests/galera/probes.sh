#!/usr/bin/env bash
# MySQL and Galera checks against real servers on loopback: a stand-alone MariaDB (up, wrong
# password, port closed, frozen with SIGSTOP, not a Galera node) and a 2-node Galera cluster
# (Synced+Primary, desync = Donor/Desynced with and without donor_ok, the survivor of a kill -9
# becomes non-Primary). Every server is started here and stopped on exit.
set -euo pipefail
PROBE_ONCE=${PROBE_ONCE:?set PROBE_ONCE to the probe_once test tool}
HERE=$(cd "$(dirname "$0")" && pwd)
export GALERA_BASE
GALERA_BASE=$(mktemp -d /tmp/directord-galera.XXXXXX)
chmod 755 "$GALERA_BASE"
# The client ports also on ::1, for the probes of IPv6 real servers (if this machine has IPv6).
export GALERA_HOST6=
ip -6 addr show dev lo 2>/dev/null | grep -q "inet6 ::1/128" && GALERA_HOST6=::1
export GALERA_MYSQL_PORT_BASE=23306 GALERA_GCOMM_PORT_BASE=24567 GALERA_PLAIN_PORT=23316 GALERA_TIMEOUT=120
cluster() { bash "$HERE/cluster.sh" "$@"; }
cleanup() {
    local rc=$?
    cluster plain down >/dev/null 2>&1 || true
    cluster down >/dev/null 2>&1 || true
    rm -rf "$GALERA_BASE"
    exit "$rc"
}
trap cleanup EXIT
say() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

secret() {  # secret NAME VALUE -> a private password file
    local f="$GALERA_BASE/$1.pass"
    printf '%s\n' "$2" >"$f"
    chmod 600 "$f"
    printf '%s' "$f"
}
GOOD=$(secret good probe)
BAD=$(secret bad not-the-password)

# expect UP|DOWN 'REASON REGEX' CHECK TARGET
expect() {
    local want=$1 reason=$2 out
    out=$("$PROBE_ONCE" "$3" "$4")
    say "$4 ${3:0:40}... -> $out"
    [[ "$out" == "$want: "* ]] || fail "expected $want"
    echo "$out" | grep -Eq -- "$reason" || fail "reason does not match /$reason/"
}
mysql() { printf '{ mysql: { user: probe, password_file: %s }, timeout: %s }' "${1:-$GOOD}" "${2:-2s}"; }
galera() { printf '{ galera: { user: probe, password_file: %s, donor_ok: %s }, timeout: 2s }' "$GOOD" "${1:-false}"; }
PLAIN=127.0.0.1:$GALERA_PLAIN_PORT
NODE1=127.0.0.1:$GALERA_MYSQL_PORT_BASE
NODE2=127.0.0.1:$((GALERA_MYSQL_PORT_BASE + 1))

say "stand-alone MariaDB"
cluster plain up >/dev/null
expect UP "1 row" "$(mysql)" "$PLAIN"
expect DOWN "Access denied" "$(mysql "$BAD")" "$PLAIN"
expect DOWN "Can't connect" "$(mysql)" "127.0.0.1:$((GALERA_PLAIN_PORT + 100))"
expect DOWN "not a Galera node" "$(galera)" "$PLAIN"
if [ -n "$GALERA_HOST6" ]; then
    expect UP "1 row" "$(mysql)" "[::1]:$GALERA_PLAIN_PORT"
    expect DOWN "Access denied" "$(mysql "$BAD")" "[::1]:$GALERA_PLAIN_PORT"
    expect DOWN "Can't connect" "$(mysql)" "[::1]:$((GALERA_PLAIN_PORT + 100))"
else
    say "no IPv6 loopback on this machine: the IPv6 MySQL probes are left out"
fi
pid=$(cat "$GALERA_BASE/plain/mysqld.pid")
kill -STOP "$pid"
t0=$(date +%s%N)
expect DOWN "timed out after 1s" "$(mysql "$GOOD" 1s)" "$PLAIN"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -CONT "$pid"
say "frozen server reported after ${ms} ms"
[ "$ms" -lt 2500 ] || fail "the frozen server held the probe for ${ms} ms"
cluster plain down >/dev/null

say "2-node Galera cluster"
cluster up 2 >/dev/null
expect UP "^UP: Synced, Primary" "$(galera)" "$NODE1"
expect UP "^UP: Synced, Primary" "$(galera)" "$NODE2"
[ -z "$GALERA_HOST6" ] || expect UP "^UP: Synced, Primary" "$(galera)" "[::1]:$GALERA_MYSQL_PORT_BASE"
cluster sql 2 "SET GLOBAL wsrep_desync=ON"
expect DOWN "wsrep_local_state=2 \(Donor/Desynced\)" "$(galera)" "$NODE2"
expect UP "Donor/Desynced, Primary" "$(galera true)" "$NODE2"
cluster sql 2 "SET GLOBAL wsrep_desync=OFF"
expect UP "Synced" "$(galera)" "$NODE2"

say "kill -9 node 2: the survivor loses the Primary component"
cluster kill 2 >/dev/null 2>&1
for _ in $(seq 60); do
    out=$("$PROBE_ONCE" "$(galera)" "$NODE1")
    [[ "$out" == DOWN:* ]] && break
    sleep 0.5
done
expect DOWN "wsrep_cluster_status=non-Primary" "$(galera)" "$NODE1"
say "PASS"
