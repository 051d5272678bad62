#!/usr/bin/env bash
# Fail-over figures of directord and keepalived side by side, in the namespace lab:
#   crash  kill -9 of the master            -> first gratuitous ARP of the new master
#   term   SIGTERM of the master            -> first gratuitous ARP of the new master
#   down   down-file created on the master  -> first gratuitous ARP of the new master
# for VRRPv2 at 1 s, VRRPv3 at 100 ms, VRRPv3 at 10 ms (the protocol's least) and VRRPv3 over
# IPv6 at 100 ms (where the first unsolicited neighbour advertisement stands for the GARP),
# RUNS times each (default 10; ROWS="3 10ms 4" picks rows: version interval family), plus
# the protocol anchors (last advert -> GARP for a crash, priority-0 advert -> GARP otherwise),
# advert period jitter, resident memory and directord's loop lag (ms). Prints a table; not a
# test. Run as root after a build.
#   bench/failover.sh [RUNS]
# (bench/hold.sh: the 10 ms adverts held for minutes while the directors are loaded)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
export DIRECTORD=${DIRECTORD:-$PWD/build/daemon/directord}
[ -x "$DIRECTORD" ] || { echo "build first (cmake --build build)" >&2; exit 2; }
LAB_IPV6=1  # dual stack: the IPv6 rows use fd99::100, the others 10.99.0.100
. scripts/lab.sh
FAMILY=4   # of the rows being measured
vip() { [ "$FAMILY" = 6 ] && echo "$VIP6" || echo "$VIP"; }
lab_up 2
mkdir -p "$WORK/d1" "$WORK/d2"
MAC1=$(mac_of d1); MAC2=$(mac_of d2)

now() { date +%s.%N; }
# decode CAPTURE: "time mac ADV prio" / "time mac GARP -" lines (GARP: a gratuitous ARP, or
# an unsolicited neighbour advertisement for an IPv6 VIP)
decode() {
    capture_text "$1" | awk -v vip="$(vip)" '
        /VRRPv/ { p = ""; for (i = 1; i <= NF; i++) if ($i == "prio") { p = $(i + 1); sub(",", "", p) }
                  print $1, $2, "ADV", p; next }
        /ethertype ARP/ && $0 ~ ("who-has " vip " .*tell " vip ",") { print $1, $2, "GARP", "-" }
        /neighbor advertisement/ && $0 ~ ("tgt is " vip "([^0-9a-f:]|$)") { print $1, $2, "GARP", "-" }'
}
first_after() {  # CAPTURE T0 MAC KIND [PRIO]
    decode "$1" | awk -v t0="$2" -v mac="$3" -v kind="$4" -v prio="${5:-}" '
        !found && $1 >= t0 && $2 == mac && $3 == kind && (prio == "" || $4 == prio) { printf "%.6f", $1; found = 1 }'
}  # (reads to the end: with pipefail, a reader leaving early fails the capture's decoder)
last_before() {  # CAPTURE T0 MAC
    decode "$1" | awk -v t0="$2" -v mac="$3" '$1 < t0 && $2 == mac && $3 == "ADV" { t = $1 } END { printf "%.6f", t }'
}
stats() {  # numbers on stdin -> "median min max (n)"
    sort -g | awk '{ a[n++] = $1 } END { if (!n) { print "n/a"; exit }
        m = (n % 2) ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
        printf "%.3f  %.3f  %.3f  (n=%d)", m, a[0], a[n - 1], n }'
}

# Daemon control, one pair of functions per implementation.
directord_start() {  # NODE PRIO VERSION INTERVAL
    local lines=("version: $3" "advert_interval: $4" "track: { files: [$WORK/$1/down] }")
    [ "$3" = 2 ] && lines+=("auth: { type: pass, password: secret12 }")
    local vips=$VIP
    [ "$FAMILY" = 6 ] && vips="'$VIP6/64'"
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 "$2" "$vips" "${lines[@]}"; } >"$(config "$1")"
    start "$1"
}
directord_stop() { stop "$1" "$2"; }
directord_rss() { awk '/VmRSS/ { print $2 }' "/proc/${NODE_PID[$1]}/status"; }
keepalived_start() {  # NODE PRIO VERSION INTERVAL
    local interval=$4 password=-
    case $interval in 100ms) interval=0.1 ;; 10ms) interval=0.01 ;; *) interval=${interval%s} ;; esac
    [ "$3" = 2 ] && password=secret12
    KEEPALIVED_VIP=$([ "$FAMILY" = 6 ] && echo "$VIP6/64" || echo "$VIP/24") \
        start_keepalived "$1" "$2" "$3" "$interval" "$password"
    # keepalived's own down-file: track_file with weight 0 (FAULT), as in its documentation
    # (the file holds a number: non-zero = down)
    sed -i "1i track_file down {\n    file \"$WORK/$1/kadown\"\n    weight 0\n    init_file 0 overwrite\n}" "$WORK/$1-keepalived/keepalived.conf"
    sed -i 's/^    virtual_ipaddress {/    track_file {\n        down\n    }\n    virtual_ipaddress {/' \
        "$WORK/$1-keepalived/keepalived.conf"
    stop_keepalived "$1" TERM
    ip netns exec "$(ns "$1")" keepalived -P -n -l -G -D -f "$WORK/$1-keepalived/keepalived.conf" \
        -p "$WORK/$1-keepalived/parent.pid" -r "$WORK/$1-keepalived/vrrp.pid" \
        -c "$WORK/$1-keepalived/checkers.pid" -b "$WORK/$1-keepalived/bfd.pid" >>"$WORK/$1.log" 2>&1 </dev/null &
    NODE_PID[$1]=$!
    LAB_PIDS+=($!)
    wait_for 5 test -s "$WORK/$1-keepalived/vrrp.pid"
    LAB_PIDS+=("$(cat "$WORK/$1-keepalived/vrrp.pid")")
}
keepalived_stop() { stop_keepalived "$1" "$2"; }
keepalived_rss() {
    local p c
    p=$(awk '/VmRSS/ { print $2 }' "/proc/${NODE_PID[$1]}/status")
    c=$(awk '/VmRSS/ { print $2 }' "/proc/$(cat "$WORK/$1-keepalived/vrrp.pid")/status")
    echo "$((p + c))"
}
down_file() { [ "$1" = directord ] && echo "$WORK/d1/down" || echo "$WORK/d1/kadown"; }

clean_vips() {
    for n in d1 d2; do
        ip -n "$(ns "$n")" addr del "$VIP/24" dev eth0 2>/dev/null || true
        ip -n "$(ns "$n")" addr del "$VIP6/64" dev eth0 2>/dev/null || true
    done
}

# measure IMPL VERSION INTERVAL MODE -> appends "action_to_garp anchor" to $WORK/IMPL-vV-INTERVAL-FAMILY-MODE
measure() {
    local impl=$1 version=$2 interval=$3 mode=$4 pre t0 garp anchor ref
    clean_vips
    rm -f "$WORK"/d1/*down
    "${impl}_start" d1 101 "$version" "$interval"
    wait_for 10 has_vip d1 "$(vip)" || fail "$impl d1 never became master"
    "${impl}_start" d2 100 "$version" "$interval"
    sleep 1.5; sleep "0.$((RANDOM % 1000))"   # a random phase against the advert timer
    pre=$([ "$version" = 2 ] && echo 1.2 || echo 0.3)
    capture_start "run" c1 "arp or ip proto 112 or ip6 proto 112 or icmp6"
    sleep "$pre"
    t0=$(now)
    case $mode in
        crash) "${impl}_stop" d1 KILL ;;
        term) "${impl}_stop" d1 TERM ;;
        down) echo 1 >"$(down_file "$impl")" ;;
    esac
    wait_for 10 has_vip d2 "$(vip)" || fail "$impl: d2 did not take over ($mode)"
    sleep 0.3
    capture_stop run
    garp=$(first_after run "$t0" "$MAC2" GARP)
    if [ "$mode" = crash ]; then ref=$(last_before run "$t0" "$MAC1"); else ref=$(first_after run "$t0" "$MAC1" ADV 0); fi
    awk -v g="$garp" -v t="$t0" -v r="$ref" 'BEGIN { printf "%.6f %.6f\n", g - t, (r > 0 ? g - r : -1) }' \
        >>"$WORK/$impl-v$version-$interval-$FAMILY-$mode"
    running d1 && "${impl}_stop" d1 TERM
    "${impl}_stop" d2 TERM
    rm -f "$WORK/run.pcap"
}

# jitter IMPL VERSION INTERVAL: advert period of a settled master over 10 s; RSS of the master
jitter() {
    local impl=$1 version=$2 interval=$3 rss lag
    clean_vips
    rm -f "$WORK"/d1/*down
    "${impl}_start" d1 101 "$version" "$interval"
    wait_for 10 has_vip d1 "$(vip)"
    capture_start "jitter" c1 "arp or ip proto 112 or ip6 proto 112 or icmp6"
    sleep 10.2
    capture_stop jitter
    rss=$("${impl}_rss" d1)
    lag=$([ "$impl" = directord ] && echo "; loop lag $(loop_lag d1) ms" || true)
    "${impl}_stop" d1 TERM
    decode jitter | awk -v mac="$MAC1" '$2 == mac && $3 == "ADV" { if (last) printf "%.9f\n", $1 - last; last = $1 }' |
        sort -g | awk -v want="$interval" -v rss="$rss" -v lag="$lag" '
        BEGIN { w = want; if (sub(/ms$/, "", w)) w /= 1000; else sub(/s$/, "", w) }
        { p[n++] = $1; s += $1 }
        END { printf "period mean %.6f s, median %.6f s, p99 %.6f s, max %.6f s (n=%d, want %s); RSS %.1f MB%s",
              s / n, p[int(n * 0.5)], p[int(n * 0.99)], p[n - 1], n, want, rss / 1024, lag }'
}

declare -A J=()
echo "# fail-over bench: $RUNS runs per cell, $(date -u +%F) $(uname -r)"
IFS=, read -ra ROW_LIST <<<"${ROWS:-2 1s 4,3 100ms 4,3 10ms 4,3 100ms 6}"
for cfg in "${ROW_LIST[@]}"; do
    set -- $cfg
    FAMILY=$3
    for impl in directord keepalived; do
        for mode in crash term down; do
            for ((r = 1; r <= RUNS; r++)); do measure "$impl" "$1" "$2" "$mode"; done
        done
        J[$impl-$1-$2-$3]=$(jitter "$impl" "$1" "$2")
    done
done
# floor INTERVAL MODE: the RFC's least anchor -> GARP for the backup (priority 100): its skew
# ((256 - 100) / 256 x the interval), after three missed adverts for a crash.
floor() {
    awk -v i="$1" -v mode="$2" 'BEGIN { s = i; if (sub(/ms$/, "", s)) s /= 1000; else sub(/s$/, "", s)
        skew = (256 - 100) / 256 * s
        if (mode == "crash") printf "%.3f (3 x %g s + skew %.3f)", 3 * s + skew, s, skew
        else printf "%.3f (skew)", skew }'
}
printf '\n%-11s %-12s %-6s %-40s %-40s %s\n' impl "ver interval" mode "action -> GARP: median min max (s)" "anchor -> GARP: median min max (s)" "RFC floor of the anchor"
for cfg in "${ROW_LIST[@]}"; do
    set -- $cfg
    for mode in crash term down; do
        for impl in directord keepalived; do
            f="$WORK/$impl-v$1-$2-$3-$mode"
            printf '%-11s %-12s %-6s %-40s %-40s %s\n' "$impl" "v$1$([ "$3" = 6 ] && echo /6) $2" "$mode" \
                "$(cut -d' ' -f1 "$f" | stats)" "$(cut -d' ' -f2 "$f" | awk '$1 >= 0' | stats)" "$(floor "$2" "$mode")"
        done
    done
done
echo
for cfg in "${ROW_LIST[@]}"; do
    set -- $cfg
    for impl in directord keepalived; do printf '%-26s %s\n' "$impl v$1 $2 IPv$3" "${J[$impl-$1-$2-$3]}"; done
done
