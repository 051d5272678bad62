#!/usr/bin/env bash
# The quick VRRP lab of `scripts/demo.sh --vrrp-only`: two directors and a client in network
# namespaces on a private bridge, no IPVS. Shows the election, client traffic to the VIP, the
# take-over when the master is killed (kill -9), and the preferred director taking the VIP back
# when it returns. Everything it creates is removed on exit. Run as root, with DIRECTORD and
# DIRECTORCTL naming the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
. scripts/lab.sh

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
holder() {
    local n
    for n in d1 d2; do has_vip "$n" && { printf '%s' "$n"; return; }; done
    printf 'nobody'
}

banner "building the lab: directors d1 ($SUBNET.1) and d2 ($SUBNET.2), client c1 ($SUBNET.10), VIP $VIP"
lab_up 2
# Each director runs a tiny web server answering with its own name; the client asks the VIP.
for n in d1 d2; do
    ip netns exec "$(ns "$n")" perl -MIO::Socket::INET -e '
        my $name = shift;
        my $s = IO::Socket::INET->new(LocalPort => 80, Listen => 64, ReuseAddr => 1) or die "listen: $!";
        while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\r\n\r\nserved by $name\n"; close $c }
    ' "$n" >/dev/null 2>&1 &
    LAB_PIDS+=($!)
done
# One cluster file for both directors: each picks its node with --node.
CLUSTER=$WORK/cluster.yaml
{ echo "nodes:"; echo "  - { name: d1, priority: 101 }"; echo "  - { name: d2, priority: 100 }"
  echo "vrrp:"; echo "  instances:"
  instance_yaml web eth0 51 100 "$VIP" "version: 3" "advert_interval: 100ms" |
      grep -v "priority:"; } >"$CLUSTER"  # each node's priority is its own
say "one cluster file for both directors ($("$DIRECTORCTL" check "$CLUSTER" | wc -l) nodes checked):"
sed 's/^/    /' "$CLUSTER"
say "d1 has priority 101, d2 has 100; VRRPv3 adverts every 100 ms"

banner "election"
start d1 "$CLUSTER" --node d1; start d2 "$CLUSTER" --node d2
wait_for 5 has_vip d1 || fail "no master elected"
say "$VIP is held by: $(holder)"
grep -h "entering\|gratuitous" "$WORK/d1.log" "$WORK/d2.log" | sed 's/^/    /'
for n in d1 d2; do
    say "directorctl status on $n:"
    "$DIRECTORCTL" -s "$(control_socket "$n")" status | sed -n '3,$p' | sed 's/^/    /'
done

# changes_since T0 WHAT: each change of the answering director after T0.
changes_since() {
    awk -v t0="$1" -v what="$2" '$1 >= t0 { who = $2 " " $3 " " $4
        if (who != last) printf "    %+.3f s after %s: %s\n", $1 - t0, what, who; last = who }' "$TRAFFIC"
}

# The client requests the VIP every 50 ms and records who answered.
TRAFFIC=$WORK/traffic
ip netns exec "$(ns c1)" bash -c '
    while :; do
        reply=$(timeout 0.3 bash -c "exec 3<>/dev/tcp/'"$VIP"'/80 && printf \"GET / HTTP/1.0\r\n\r\n\" >&3 && tail -n1 <&3" 2>/dev/null)
        printf "%s %s\n" "$(date +%s.%N)" "${reply:-no-answer}"
        sleep 0.05
    done' >"$TRAFFIC" 2>/dev/null &
LAB_PIDS+=($!)
sleep 2
banner "traffic from the client"
tail -n 3 "$TRAFFIC" | sed 's/^/    /'

banner "kill -9 the master (d1)"
t0=$(date +%s.%N)
stop d1 KILL
wait_for 5 has_vip d2 || fail "d2 did not take over"
say "d2 holds the VIP; d1's stale copy is ignored by the client after d2's gratuitous ARP"
sleep 2
grep -h "entering MASTER\|gratuitous" "$WORK/d2.log" | tail -n 2 | sed 's/^/    /'
changes_since "$t0" "the kill"

banner "d1 comes back and takes the VIP back (preempt)"
t1=$(date +%s.%N)
start d1 "$CLUSTER" --node d1
wait_for 5 has_vip d1 || fail "d1 did not take the VIP back"
sleep 1.5
say "$VIP is held by: $(holder)"
changes_since "$t1" "the restart"

banner "summary"
total=$(wc -l <"$TRAFFIC")
lost=$(grep -c no-answer "$TRAFFIC" || true)
say "client requests: $total, unanswered: $lost"
awk '{ n[$2 " " $3 " " $4]++ } END { for (k in n) printf "    %-20s %d\n", k, n[k] }' "$TRAFFIC"
banner "stopping: directors hand over gracefully, the lab is removed"
