#!/usr/bin/env bash
# The whole product in one lab, run by scripts/demo.sh (natively where the kernel has IPVS,
# else inside the tests' VM): directors d1 and d2 (VRRPv3 every 100 ms, a sync group of the
# outside VIP and the real servers' gateway VIP, NAT, the connection-sync daemon) in front of
# web servers rs1 and rs2 checked over HTTP, and a client asking the VIP every 100 ms all along.
# Steps: election; rs2 fails its check and leaves IPVS; it returns; `directorctl maintenance
# on` hands over; kill -9 of the master while the client holds a long-lived connection; the
# master returns. Each step prints its timing and the requests it saw, then a summary.
# Needs root, ip, ipvsadm, busybox, bash; DIRECTORD and DIRECTORCTL name the binaries.
set -euo pipefail
DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
P=dmo$$-  # this run's namespaces
WORK=$(mktemp -d "${TMPDIR:-/tmp}/directord-demo.XXXXXX")
NAMESPACES=() PIDS=() SUMMARY=()
VIP=10.0.0.100

cleanup() {
    local pid n
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for n in "${NAMESPACES[@]}"; do  # what runs in them is ours too
        ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$n" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { printf '%s%s' "$P" "$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
fail() {
    printf '[%s] FAIL: %s\n' "$(date +%T)" "$*"
    for d in d1 d2; do printf -- '--- %s\n' "$d"; tail -n 15 "$WORK/$d.log"; done
    exit 1
}
wait_for() { local n=$1; shift; for _ in $(seq $((n * 20))); do "$@" && return 0; sleep 0.05; done; return 1; }
# wire NODE IFACE BRIDGE ADDRESS/PREFIX
wire() {
    ip link add "$2" netns "$(ns "$1")" type veth peer name "$1-$2" netns "$(ns sw)"
    ip -n "$(ns sw)" link set "$1-$2" master "$3" up
    ip -n "$(ns "$1")" addr add "$4" dev "$2"
    ip -n "$(ns "$1")" link set "$2" up
}
ctl() { "$DIRECTORCTL" --socket "$WORK/$1.sock" "${@:2}"; }
status() {  # status NODE: directorctl status, the instances and the real servers
    say "directorctl status on $1:"
    ctl "$1" status | sed -n '3,$p' | sed '/^$/d; s/^/      /'
}
# (No `| grep -q`: with pipefail, the writer's SIGPIPE would make a match look like a miss.)
has_vip() { [[ "$(ip -n "$(ns "$1")" addr show dev eth0)" == *" $VIP/24 "* ]]; }
holder() { if has_vip d1; then echo d1; elif has_vip d2; then echo d2; else echo nobody; fi; }
in_table() { [[ "$(in_ns "$1" ipvsadm -Ln)" == *"-> $2:80 "* ]]; }
not_in_table() { ! in_table "$@"; }

banner "the lab: client c1 -> VIP $VIP on directors d1, d2 -> NAT -> web servers rs1, rs2"
for n in sw c1 d1 d2 rs1 rs2; do
    ip netns add "$(ns "$n")"
    NAMESPACES+=("$(ns "$n")")
    ip -n "$(ns "$n")" link set lo up
done
# (No multicast snooping: a sync daemon that changes role leaves and joins its group again.)
for br in out in; do
    ip -n "$(ns sw)" link add "$br" type bridge mcast_snooping 0
    ip -n "$(ns sw)" link set "$br" up
done
wire c1 eth0 out 10.0.0.2/24
for i in 1 2; do
    wire "d$i" eth0 out "10.0.0.1$i/24"
    wire "d$i" eth1 in "10.0.1.1$i/24"
    in_ns "d$i" sysctl -qw net.ipv4.ip_forward=1
    wire "rs$i" eth0 in "10.0.1.$i/24"
    ip -n "$(ns "rs$i")" route add default via 10.0.1.254  # the inside VIP
    mkdir -p "$WORK/srv$i"
    echo "rs$i" >"$WORK/srv$i/index.html"
    echo ok >"$WORK/srv$i/healthz"
    ip netns exec "$(ns "rs$i")" busybox httpd -f -p 80 -h "$WORK/srv$i" &
    PIDS+=($!)
done
# The long-lived connection's echo service (quiet: the TCP check resets its connections).
ip netns exec "$(ns rs1)" busybox nc -ll -p 9000 -e /bin/cat 2>/dev/null &
PIDS+=($!)

config() {  # config NODE PRIORITY EXTRA: the director's file
    cat <<YAML
maintenance_file: $WORK/$1.maintenance
vrrp:
  instances:
    - { name: outside, interface: eth0, vrid: 51, priority: $2, version: 3, advert_interval: 100ms,
        vips: [$VIP/24] $3 }
    - { name: inside, interface: eth1, vrid: 52, priority: $2, version: 3, advert_interval: 100ms,
        vips: [10.0.1.254/24] $3 }
  sync_groups:
    - { name: nat, instances: [outside, inside] }
virtual_servers:
  - name: web
    address: $VIP:80
    scheduler: rr
    forwarding: nat
    check: { http: { path: /healthz }, interval: 300ms, timeout: 250ms, fall: 2, rise: 2 }
    real_servers: [ { address: 10.0.1.1:80 }, { address: 10.0.1.2:80 } ]
  - name: echo
    address: $VIP:9000
    scheduler: rr
    forwarding: nat
    check: { tcp: {}, interval: 1s }
    real_servers: [ { address: 10.0.1.1:9000 } ]
ipvs:
  sync_daemon: { interface: eth1, instance: outside, sync_id: 51 }
YAML
}
# d1 is preferred; it waits 4 s before taking the VIPs back, so its sync daemon (backup
# meanwhile) has learnt the connections it takes back.
config d1 101 ", preempt_delay: 4s" >"$WORK/d1.yaml"
config d2 100 "" >"$WORK/d2.yaml"
say "d1 priority 101 (preempt_delay 4s), d2 100; checks: GET /healthz every 300 ms, fall 2"
start() {
    ip netns exec "$(ns "$1")" "$DIRECTORD" -f "$WORK/$1.yaml" --foreground --control-socket "$WORK/$1.sock" \
        >>"$WORK/$1.log" 2>&1 &
    eval "pid_$1=$!"
    PIDS+=($!)
}

# requests_since T: "N requests, U unanswered (rs1 a, rs2 b)"
requests_since() {
    awk -v t="$1" '$1 >= t { n++; who[$2]++ } END {
        printf "%d requests, %d unanswered (rs1 %d, rs2 %d)", n, who["unanswered"], who["rs1"], who["rs2"] }' \
        "$WORK/requests"
}
# waited LIMIT FAILURE COMMAND...: until COMMAND succeeds (else the lab fails); $took is the
# time since the step began ($t).
waited() {
    local limit=$1 failure=$2
    shift 2
    wait_for "$limit" "$@" || fail "$failure"
    took=$(since "$t")
}
# step_done NAME [DETAIL]: a second later, the step's requests, and its line for the summary.
step_done() {
    sleep 1
    SUMMARY+=("$(printf '%-38s %s; %s' "$1" "${took} s${2:+; $2}" "$(requests_since "$t")")")
    say "$(requests_since "$t")"
}
banner "1. election"
t=$(now)
start d1
waited 10 "d1 did not become MASTER" has_vip d1
waited 10 "d1 did not program rs2" in_table d1 10.0.1.2
say "d1 MASTER with both VIPs, IPVS programmed with rs1 and rs2: ${took} s after its start"
SUMMARY+=("$(printf '%-38s %s' "election: d1 MASTER, IPVS programmed" "${took} s")")
start d2
wait_for 10 grep -q "sync daemon now backup" "$WORK/d2.log" || fail "d2 did not become BACKUP"
say "d2 BACKUP, its sync daemon backup: it learns d1's connections"
status d1

# The client: a request every 100 ms, "TIME ANSWER" per line.
ip netns exec "$(ns c1)" bash -c 'while :; do
    reply=$(busybox timeout 1 busybox wget -q -O - "http://'"$VIP"'/" 2>/dev/null) || reply=unanswered
    printf "%s %s\n" "$EPOCHREALTIME" "${reply:-unanswered}"
    sleep 0.1
done' >"$WORK/requests" 2>/dev/null &
PIDS+=($!)
wait_for 10 test -s "$WORK/requests" || fail "the client got nothing"
sleep 2

banner "2. rs2 fails its check (its /healthz is gone, / still answers): it leaves the table"
t=$(now)
rm "$WORK/srv2/healthz"
waited 10 "rs2 is still in d1's table" not_in_table d1 10.0.1.2
say "rs2 out of IPVS ${took} s after its health page went (2 failed checks, 300 ms apart)"
grep -h "10.0.1.2:80" "$WORK/d1.log" | tail -n 2 | sed 's/^/      /'
step_done "rs2 fails its check, leaves IPVS"
status d1

banner "3. rs2 recovers: back in the table"
t=$(now)
echo ok >"$WORK/srv2/healthz"
waited 10 "rs2 did not return to d1's table" in_table d1 10.0.1.2
say "rs2 back in IPVS ${took} s after its health page returned (rise 2)"
step_done "rs2 recovers, back in IPVS"

banner "4. directorctl maintenance on (d1): a clean hand-over to d2"
t=$(now)
ctl d1 maintenance on | sed 's/^/      /'
waited 10 "d2 did not take over" has_vip d2
say "d2 MASTER ${took} s after the command (d1 sent a priority-0 advert)"
step_done "maintenance on: d1 hands over to d2"
status d2
t=$(now)
ctl d1 maintenance off | sed 's/^/      /'
waited 15 "d1 did not take the VIPs back" has_vip d1
say "maintenance off: d1 MASTER again ${took} s later (its 4 s preempt delay)"
step_done "maintenance off: d1 takes back"

banner "5. kill -9 of the master (d1) while the client holds a long-lived connection"
mkfifo "$WORK/in"
ip netns exec "$(ns c1)" busybox nc "$VIP" 9000 <"$WORK/in" >"$WORK/out" &
PIDS+=($!)
exec 3>"$WORK/in"
echo hello >&3
wait_for 5 grep -q hello "$WORK/out" || fail "the connection got no echo"
synced_to() {
    local line
    while IFS= read -r line; do
        [[ "$line" == *ESTABLISHED*" 10.0.0.2:"*" $VIP:9000 "* ]] && return 0
    done < <(in_ns "$1" ipvsadm -Lnc)
    return 1
}
# The sync daemon sends a connection after its first packets, then every 50: keep talking.
for round in $(seq 20); do
    for i in $(seq 10); do echo "keep $round $i" >&3; done
    synced_to d2 && break
    sleep 0.2
done
synced_to d2 || fail "the connection was not synced to d2"
say "the connection through d1 is in d2's table too (the connection-sync daemon)"
t=$(now)
{ kill -KILL "$pid_d1"; wait "$pid_d1" || true; } 2>/dev/null  # (no "Killed" notice)
waited 10 "d2 did not take over" has_vip d2
say "d2 MASTER ${took} s after the kill (the protocol's floor: 3 missed adverts + skew, 0.35 s)"
echo "after the kill" >&3
wait_for 5 grep -q "after the kill" "$WORK/out" || fail "the long-lived connection did not survive"
say "the long-lived connection still echoes, through d2"
step_done "kill -9 d1: d2 takes over" "connection kept"
status d2

banner "6. d1 returns: it learns the connections, then takes the VIPs back"
# (kill -9 left d1's VIPs on its interfaces: its log says when it is MASTER again.)
mv "$WORK/d1.log" "$WORK/d1-before-kill.log"
t=$(now)
start d1
waited 20 "d1 did not take the VIPs back" grep -q "outside: entering MASTER" "$WORK/d1.log"
say "d1 MASTER again ${took} s after its start (4 s preempt delay)"
echo "after the return" >&3
wait_for 5 grep -q "after the return" "$WORK/out" || fail "the long-lived connection did not survive the return"
say "the long-lived connection still echoes, through d1"
step_done "d1 returns and takes back" "connection kept"
status d1
exec 3>&-

banner "summary"
for line in "${SUMMARY[@]}"; do say "$line"; done
say "all along: $(requests_since 0)"
banner "stopping: the directors hand over and exit, the lab is removed"
kill -TERM "$pid_d1" "$pid_d2"
wait "$pid_d1" "$pid_d2" 2>/dev/null || true
say "done"
