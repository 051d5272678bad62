#!/usr/bin/env bash
# The whole product in one lab, run by scripts/demo.sh (natively where the kernel has IPVS,
# else inside the tests' VM): directors d1 and d2 (VRRPv3 every 100 ms, a sync group of the
# outside VIP and the real servers' gateway VIP, NAT, the connection-sync daemon) in front of
# web servers rs1 and rs2 checked over HTTP, and a client asking the VIP every 100 ms all along.
# Steps: election; rs2 fails its check and leaves IPVS; it returns; `directorctl maintenance
# on` hands over; kill -9 of the master while the client holds a long-lived connection; the
# master returns. Each step prints its timing and the requests it saw, then a summary.
# Built with the namespace lab of the tests (lab.sh, beside this file). Needs root, ip,
# ipvsadm, busybox, bash; DIRECTORD and DIRECTORCTL name the binaries.
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
. "$(dirname "$0")/lab.sh"
RS1=$INSIDE_SUBNET.21 RS2=$INSIDE_SUBNET.22 CLIENT=$SUBNET.10
SUMMARY=()

now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { "$DIRECTORCTL" --socket "$(control_socket "$1")" "${@:2}"; }
status() {  # status NODE: directorctl status, the instances and the real servers
    say "directorctl status on $1:"
    ctl "$1" status | sed -n '3,$p' | sed '/^$/d; s/^/      /'
}
in_table() { [[ "$(ip netns exec "$(ns "$1")" ipvsadm -Ln)" == *"-> $2:80 "* ]]; }

banner "the lab: client c1 -> VIP $VIP on directors d1, d2 -> NAT -> web servers rs1, rs2"
lab_up 2 inside
for i in 1 2; do
    ip netns exec "$(ns "d$i")" sysctl -qw net.ipv4.ip_forward=1
    add_ns "rs$i"
    wire "rs$i" eth0 br1 "$INSIDE_SUBNET.2$i" "02:98:00:00:00:2$i"
    ip -n "$(ns "rs$i")" route add default via "$INSIDE_VIP"
    mkdir -p "$WORK/srv$i"
    echo "rs$i" >"$WORK/srv$i/index.html"
    echo ok >"$WORK/srv$i/healthz"
    ip netns exec "$(ns "rs$i")" busybox httpd -f -p 80 -h "$WORK/srv$i" &
    LAB_PIDS+=($!)
done
# The long-lived connection's echo service (quiet: the TCP check resets its connections).
ip netns exec "$(ns rs1)" busybox nc -ll -p 9000 -e /bin/cat 2>/dev/null &
LAB_PIDS+=($!)

director_yaml() {  # NODE PRIORITY EXTRA
    cat <<YAML
maintenance_file: $WORK/$1.maintenance
vrrp:
  instances:
    - { name: outside, interface: eth0, vrid: 51, priority: $2, version: 3, advert_interval: 100ms,
        vips: [$VIP/24] $3 }
    - { name: inside, interface: eth1, vrid: 52, priority: $2, version: 3, advert_interval: 100ms,
        vips: [$INSIDE_VIP/24] $3 }
  sync_groups:
    - { name: nat, instances: [outside, inside] }
virtual_servers:
  - name: web
    address: $VIP:80
    scheduler: rr
    forwarding: nat
    check: { http: { path: /healthz }, interval: 300ms, timeout: 250ms, fall: 2, rise: 2 }
    real_servers: [ { address: $RS1:80 }, { address: $RS2:80 } ]
  - name: echo
    address: $VIP:9000
    scheduler: rr
    forwarding: nat
    check: { tcp: {}, interval: 1s }
    real_servers: [ { address: $RS1:9000 } ]
ipvs:
  sync_daemon: { interface: eth1, instance: outside, sync_id: 51 }
YAML
}
# d1 is preferred; it waits 4 s before taking the VIPs back, so its sync daemon (backup
# meanwhile) has learnt the connections it takes back.
director_yaml d1 101 ", preempt_delay: 4s" >"$(config d1)"
director_yaml d2 100 "" >"$(config d2)"
say "d1 priority 101 (preempt_delay 4s), d2 100; checks: GET /healthz every 300 ms, fall 2"

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
waited 10 "d1 did not program rs2" in_table d1 "$RS2"
say "d1 MASTER with both VIPs, IPVS programmed with rs1 and rs2: ${took} s after its start"
SUMMARY+=("$(printf '%-38s %s' "election: d1 MASTER, IPVS programmed" "${took} s")")
start d2
wait_for 10 log_has d2 "sync daemon now backup" || fail "d2 did not become BACKUP"
say "d2 BACKUP, its sync daemon backup: it learns d1's connections"
status d1

# The client: a request every 100 ms, "TIME ANSWER" per line.
ip netns exec "$(ns c1)" bash -c 'while :; do
    reply=$(busybox timeout 1 busybox wget -q -O - "http://'"$VIP"'/" 2>/dev/null) || reply=unanswered
    printf "%s %s\n" "$EPOCHREALTIME" "${reply:-unanswered}"
    sleep 0.1
done' >"$WORK/requests" 2>/dev/null &
LAB_PIDS+=($!)
wait_for 10 test -s "$WORK/requests" || fail "the client got nothing"
sleep 2

banner "2. rs2 fails its check (its /healthz is gone, / still answers): it leaves the table"
t=$(now)
rm "$WORK/srv2/healthz"
waited 10 "rs2 is still in d1's table" not in_table d1 "$RS2"
say "rs2 out of IPVS ${took} s after its health page went (2 failed checks, 300 ms apart)"
grep -h "$RS2:80 DOWN\|delete destination $RS2:80" "$WORK/d1.log" | tail -n 2 | sed 's/^/      /'
step_done "rs2 fails its check, leaves IPVS"
status d1

banner "3. rs2 recovers: back in the table"
t=$(now)
echo ok >"$WORK/srv2/healthz"
waited 10 "rs2 did not return to d1's table" in_table d1 "$RS2"
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
LAB_PIDS+=($!)
exec 3>"$WORK/in"
echo hello >&3
wait_for 5 grep -qs hello "$WORK/out" || fail "the connection got no echo"
synced_to() {
    local line
    while IFS= read -r line; do
        [[ "$line" == *ESTABLISHED*" $CLIENT:"*" $VIP:9000 "* ]] && return 0
    done < <(ip netns exec "$(ns "$1")" ipvsadm -Lnc)
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
{ stop d1 KILL; } 2>/dev/null  # (no "Killed" notice)
waited 10 "d2 did not take over" has_vip d2
say "d2 MASTER ${took} s after the kill (the protocol's floor: 3 missed adverts + skew, 0.35 s)"
echo "after the kill" >&3
wait_for 5 grep -qs "after the kill" "$WORK/out" || fail "the long-lived connection did not survive"
say "the long-lived connection still echoes, through d2"
step_done "kill -9 d1: d2 takes over" "connection kept"
status d2

banner "6. d1 returns: it learns the connections, then takes the VIPs back"
# (kill -9 left d1's VIPs on its interfaces: its log says when it is MASTER again.)
mv "$WORK/d1.log" "$WORK/d1-before-kill.log"
t=$(now)
start d1
waited 20 "d1 did not take the VIPs back" log_has d1 "outside: entering MASTER"
say "d1 MASTER again ${took} s after its start (4 s preempt delay)"
echo "after the return" >&3
wait_for 5 grep -qs "after the return" "$WORK/out" || fail "the long-lived connection did not survive the return"
say "the long-lived connection still echoes, through d1"
step_done "d1 returns and takes back" "connection kept"
status d1
exec 3>&-

banner "summary"
for line in "${SUMMARY[@]}"; do say "$line"; done
say "all along: $(requests_since 0)"
banner "stopping: the directors hand over and exit, the lab is removed"
stop d1
stop d2
say "done"
