#!/usr/bin/env bash
# VRRP keeps its timing under health-check load. d1 (master, VRRPv3 at 100 ms) runs 2,000
# HTTPS checks at 1 s against a slow TLS server in its namespace (openssl s_server does one
# handshake at a time, so most checks wait until their timeout): real TLS work and thousands
# of sockets and timers on the same loop. The backup d2 must never take over, and the gaps
# between d1's adverts, captured by the client, must stay well inside the protocol's
# tolerance (a backup declares the master dead after 3 intervals plus skew, ~340 ms).
# d1's loop runs at nice -10 (process.nice), as on a director that shares its CPUs: what is
# under test is the loop's own slicing, not how busy the rest of the machine is. With two
# busy loops beside the test on a 2-core machine: nice 0 left 618 ms between two adverts,
# nice -10 at most 234 ms; and while curl's DNS cache held an entry per real server (walked
# at the end of every transfer) the loop ran timers up to 340 ms late, gaps of 411 ms.
. "$(dirname "$0")/../../scripts/lab.sh"
CHECKS=2000
lab_up 2
# An ECDSA key: the server's handshakes are cheap, so some checks succeed even when the server
# gets a sliver of a core (d1 runs at nice -10, CI compiles beside the suite). With RSA 2048 at
# nice 19 and a package build beside it, no handshake finished within 800 ms in 26,000 tries.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=directord.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
ip netns exec "$(ns d1)" openssl s_server -quiet -www -4 -accept 4433 \
    -cert "$WORK/cert.pem" -key "$WORK/key.pem" >"$WORK/s_server.log" 2>&1 </dev/null &
LAB_PIDS+=($!)
wait_for 5 ip netns exec "$(ns d1)" bash -c 'echo >/dev/tcp/127.0.0.1/4433' 2>/dev/null ||
    fail "s_server did not start"

{
    echo "process: { nice: -10 }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 150 "$VIP" "${FAST[@]}"
    echo "virtual_servers:"
    echo "  - name: tls-farm"
    echo "    address: $VIP:443"
    echo "    check: { http: { tls: true, verify: false }, interval: 1s, timeout: 800ms }"
    echo "    real_servers:"
    for ((i = 0; i < CHECKS; i++)); do  # distinct addresses: no two checks are merged
        printf '      - { address: 127.0.%d.%d:4433 }\n' $((i / 250)) $((i % 250 + 1))
    done
} >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${FAST[@]}"; } >"$(config d2)"

start d2
expect_vip_on d2 5
start d1
expect_vip_on d1 5
expect_log d1 "process: the event loop runs at nice -10"
expect_log d1 "health checks: $CHECKS monitors"
sleep 2  # every check is running
capture_start adverts c1 "ip proto 112"
sleep 10
capture_stop adverts
kill -USR1 "${NODE_PID[d1]}"
expect_log d1 "status health checks"

# Gaps between d1's adverts (ms), and the load that ran meanwhile.
capture_text adverts | awk -v mac="$(mac_of d1)" '$2 == mac && /VRRPv3/ { if (t) printf "%.3f\n", ($1 - t) * 1000; t = $1 }' \
    >"$WORK/gaps"
count=$(wc -l <"$WORK/gaps")
max=$(sort -g "$WORK/gaps" | tail -n 1)
p99=$(sort -g "$WORK/gaps" | awk '{ a[n++] = $1 } END { print a[int(n * 0.99)] }')
started=$(grep -o 'probes started [0-9]*' "$WORK/d1.log" | tail -n 1 | awk '{ print $3 }')
up=$(grep -c ' UP: ' "$WORK/d1.log" || true)
timed_out=$(grep -c 'DOWN: .*timed out' "$WORK/d1.log" || true)
say "$count adverts in 10 s: gap p99 ${p99} ms, max ${max} ms; loop lag $(loop_lag d1) ms; $started probes started, $up checks came up, $timed_out timed out"

[ "$count" -ge 90 ] || fail "only $count adverts in 10 s"
# Every gap under the backup's master-down interval (3 intervals + skew, ~360 ms): a longer one
# is a take-over. (The figures above are for the eye: other work on a shared machine moves them.)
awk -v m="$max" 'BEGIN { exit !(m < 300 + 100 * 156 / 256) }' ||
    fail "an advert left ${max} ms after the previous one"
# TLS set-up costs most of a millisecond of CPU per probe (several under the sanitizers): the
# loop is saturated well before 2,000 per second, so the checks run late but must still run,
# again and again (release ~24,000 probes in 10 s here, ASan+UBSan ~5,800).
[ "${started:-0}" -ge $((CHECKS * 2)) ] || fail "the checks did not run ($started probes)"
[ "$up" -ge 1 ] || fail "no TLS check ever succeeded: the load was not real"
# d2 was master once, before d1 started; a second time would be a take-over under load.
[ "$(grep -c "entering MASTER" "$WORK/d2.log")" = 1 ] || fail "d2 took over during the check load"
grep -q "MISCONFIGURED\|advert.*late" "$WORK/d2.log" && fail "d2 complained about d1's adverts"
say "isolation OK"
