#!/usr/bin/env bash
# Status and metrics at scale: directord with N real servers (default 50,000, TCP checks every
# 30 s against loopback listeners) in a lab namespace, answering `status --json` on its control
# socket and /metrics over HTTP: nobody asking (the anchor), one client at a time, and 1,000
# clients at once. For each row: answers, answers/s, time to answer (p50 and max), directord's
# CPU per answer (the idle row's rate taken off), the answer's size, and the loop lag during
# the row (p99 bound and worst bucket of the histogram's change over the row, in ms). Metrics
# are rendered at most once a second, shared by every scraper: the single-client row waits a
# second between scrapes so that each is a render. Prints a table; not a test. Run as root
# after a build.
#   bench/scrape.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
BUILD=${BUILD:-$PWD/build}
export DIRECTORD=${DIRECTORD:-$BUILD/daemon/directord}
export DIRECTORCTL=${DIRECTORCTL:-$BUILD/daemon/directorctl}
for tool in "$DIRECTORD" "$DIRECTORCTL" "$BUILD/bench/tcp_sink"; do
    [ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 2; }
done
. scripts/lab.sh
PORTS=100 BASE_PORT=20000 WINDOW=${WINDOW:-10} CLIENTS=${CLIENTS:-1000} METRICS=127.0.0.1:9477
PER_SERVICE=500
lab_up 1
D1=$(ns d1)
ip netns exec "$D1" "$BUILD/bench/tcp_sink" "$PORTS" "$BASE_PORT" >"$WORK/sink.out" 2>&1 &
LAB_PIDS+=($!)
wait_for 5 grep -qs accepted "$WORK/sink.out" || fail "tcp_sink did not start"

{
    echo "control: { metrics: $METRICS }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml vi eth0 51 150 "$VIP"
    echo "virtual_servers:"
    for ((i = 0; i < N; i++)); do
        if ((i % PER_SERVICE == 0)); then
            printf '  - name: vs%d\n    address: 10.99.%d.%d:80\n' $((i / PER_SERVICE)) \
                $((1 + i / PER_SERVICE / 250)) $((1 + i / PER_SERVICE % 250))
            printf '    check: { tcp: {}, interval: 30s, timeout: 1s }\n    real_servers:\n'
        fi
        printf '      - { address: 127.%d.%d.%d:%d }\n' $((i / 62500)) $((i / 250 % 250 + 1)) \
            $((i % 250 + 1)) $((BASE_PORT + i % PORTS))
    done
} >"$WORK/scrape.yaml"
start d1 "$WORK/scrape.yaml"
PID=${NODE_PID[d1]}
expect_vip_on d1 30
expect_log d1 "health checks: $N monitors" 120
TICK=$(getconf CLK_TCK)
SOCKET=$(control_socket d1)

# Latencies (s, one per line) -> "p50 max" in ms.
latency() { sort -g | awk '{ a[n++] = $1 } END { if (n) printf "%.1f %.1f", 1000 * a[int(n / 2)], 1000 * a[n - 1]; else print "- -" }'; }

ask_status() { "$DIRECTORCTL" -s "$SOCKET" status --json; }
ask_metrics() { ip netns exec "$D1" curl -s "http://$METRICS/metrics"; }
timed() {  # COMMAND -> its time (s) on stdout; its answer's size into $WORK/size
    local t0 t1
    t0=$(date +%s.%N)
    "$@" | wc -c >"$WORK/size"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
one_client() {  # ASK PAUSE
    local end=$((SECONDS + WINDOW))
    while ((SECONDS < end)); do
        timed "$1" >>"$WORK/latencies"
        sleep "$2"
    done
}
metrics_clients() {  # one curl holding CLIENTS connections, each timed
    local end=$((SECONDS + WINDOW)) i
    for ((i = 0; i < CLIENTS; i++)); do printf 'url = "http://%s/metrics"\noutput = "/dev/null"\n' "$METRICS"; done >"$WORK/urls"
    while ((SECONDS < end)); do
        ip netns exec "$D1" curl -s --no-progress-meter --parallel --parallel-immediate \
            --parallel-max "$CLIENTS" -K "$WORK/urls" \
            -w '%{http_code} %{time_total} %{size_download}\n' >"$WORK/round" 2>/dev/null || true
        awk '$1 == 200 { print $2 }' "$WORK/round" >>"$WORK/latencies"
        awk '$1 == 200 { print $3 }' "$WORK/round" | tail -n 1 >"$WORK/size"
        awk '$1 != 200 { print }' "$WORK/round" >>"$WORK/unanswered"
    done
}
status_clients() {  # CLIENTS control connections at once, held by one process (a thousand
    # client processes would take the daemon's CPU); each answer timed from the round's start
    local end=$((SECONDS + WINDOW))
    while ((SECONDS < end)); do
        ip netns exec "$D1" perl -MIO::Socket::UNIX -MIO::Select -MTime::HiRes=time -e '
            my ($control, $clients, $latencies, $short) = @ARGV;
            my (%got, @sizes, @times);
            my $select = IO::Select->new;
            my $t0 = time;
            for (1 .. $clients) {
                my $s = IO::Socket::UNIX->new(Peer => $control) or die "control: $!";
                print $s qq({"command": "status"}\n);
                $got{$s} = 0; $select->add($s);
            }
            while ($select->count) {
                for my $s ($select->can_read(120)) {
                    my $n = sysread($s, my $chunk, 1 << 20);
                    if ($n) { $got{$s} += $n; next }
                    push @sizes, $got{$s}; push @times, time - $t0;
                    $select->remove($s); close $s;
                }
            }
            # a client dropped or cut short got well below the full size (counters change a few bytes)
            my $full = (sort { $b <=> $a } @sizes)[0];
            open(my $l, ">>", $latencies) or die; open(my $u, ">>", $short) or die;
            for my $i (0 .. $#sizes) {
                if ($sizes[$i] < 0.9 * $full) { print $u "short\n" } else { print $l "$times[$i]\n" }
            }
            print "$full\n";' "$SOCKET" "$CLIENTS" "$WORK/latencies" "$WORK/unanswered" >"$WORK/size"
    done
}

IDLE_RATE=0
row() {  # LABEL COMMAND...
    local label=$1 c0 c1 t0 t1
    shift
    : >"$WORK/latencies"
    : >"$WORK/unanswered"
    echo 0 >"$WORK/size"
    buckets "$D1" "$METRICS" directord_loop_lag_seconds >"$WORK/lag0"
    c0=$(cpu_ticks "$PID") t0=$(date +%s.%N)
    "$@"
    c1=$(cpu_ticks "$PID") t1=$(date +%s.%N)
    buckets "$D1" "$METRICS" directord_loop_lag_seconds >"$WORK/lag1"
    # the two scrapes of the lag buckets are answers too, but cached or small beside the row's
    awk -v label="$label" -v c="$((c1 - c0))" -v hz="$TICK" -v t0="$t0" -v t1="$t1" \
        -v n="$(wc -l <"$WORK/latencies")" \
        -v dropped="$(wc -l <"$WORK/unanswered")" -v lat="$(latency <"$WORK/latencies")" \
        -v size="$(cat "$WORK/size")" -v idle="$IDLE_RATE" -v lag="$(buckets_between "$WORK/lag0" "$WORK/lag1")" 'BEGIN {
            s = t1 - t0; cpu = c / hz; split(lat, l, " ")
            printf "%-26s %8d %8d %9.1f %9s %9s %8.1f%% %12s %10.1f  %s\n", label, n, dropped, n / s, l[1],
                   l[2], 100 * cpu / s, n ? sprintf("%.2f", 1000 * (cpu - idle * s) / n) : "-", size / 1e6, lag }'
    IDLE_RATE=$(awk -v c="$((c1 - c0))" -v hz="$TICK" -v t0="$t0" -v t1="$t1" -v r="$IDLE_RATE" \
        'BEGIN { print r ? r : c / hz / (t1 - t0) }')
}

echo "directord with $N real servers ($((N / PER_SERVICE)) virtual servers, TCP checks every 30 s), ${WINDOW} s per row"
printf '%-26s %8s %8s %9s %9s %9s %9s %12s %10s  %s\n' "" answers dropped "answers/s" "p50 ms" "max ms" CPU "CPU ms/ans" "size MB" "loop lag ms"
row "idle (anchor)" sleep "$WINDOW"
row "status, 1 client" one_client ask_status 0
row "metrics, 1 client, 1/s" one_client ask_metrics 1.05
row "metrics, $CLIENTS clients" metrics_clients
row "status, $CLIENTS clients" status_clients
