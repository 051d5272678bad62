#!/usr/bin/env bash
# Status and metrics at scale never hold the loop: with 20,200 real servers on the master
# 50 concurrent `directorctl status` and 300 concurrent scrapes while the backup (100 ms adverts)
# never takes over; every client is answered (past 16 clients sending their request at once the
# others wait in the listen backlog: none is dropped for arriving with the rest), and every
# answer read to its end is a whole, valid document.
. "$(dirname "$0")/../../scripts/lab.sh"
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
lab_up 2
METRICS=127.0.0.1:9477
# 100 ms adverts; the unoptimised sanitizer build (several times slower at everything) at 300 ms.
ADVERT=100ms
ldd "$DIRECTORD" | grep -q libasan && ADVERT=300ms
TIMERS=("version: 3" "advert_interval: $ADVERT")
{
    echo "control: { metrics: $METRICS }"
    echo "vrrp:"
    echo "  instances:"
    instance_yaml web eth0 51 101 "$VIP" "${TIMERS[@]}"
    awk 'BEGIN {
        print "virtual_servers:"
        for (i = 0; i < 2000; i++) {
            printf "  - address: 10.100.%d.%d:80\n    real_servers:\n", i / 250, i % 250 + 1
            for (j = 1; j <= 10; j++) printf "      - { address: 10.1.0.%d:80 }\n", j
        }
        # and one of 200, rendered a few real servers at a time
        printf "  - address: 10.101.0.1:80\n    real_servers:\n"
        for (j = 0; j < 200; j++) printf "      - { address: 10.2.0.%d:80 }\n", j + 1
    }'
} >"$(config d1)"
{ echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 100 "$VIP" "${TIMERS[@]}"; } >"$(config d2)"
start d1
expect_vip_on d1 30
start d2
expect_log d2 "entering BACKUP" 10
sleep 0.5

say "50 concurrent status requests and 300 concurrent scrapes"
# One client process holds every connection (hundreds of client processes would starve the
# daemon under test of CPU on a small machine, which is not what this test is about).
ip netns exec "$(ns d1)" perl -MIO::Socket::INET -MIO::Socket::UNIX -MIO::Select -e '
    my ($control, $metrics, $dir) = @ARGV;
    my (%out, %name);
    my $select = IO::Select->new;
    for my $i (1 .. 50) {
        my $s = IO::Socket::UNIX->new(Peer => $control) or die "control: $!";
        print $s qq({"command": "status"}\n);
        $name{$s} = "$dir/status.$i.json"; $select->add($s);
    }
    for my $i (1 .. 300) {
        my $s = IO::Socket::INET->new(PeerAddr => $metrics) or die "metrics: $!";
        print $s "GET /metrics HTTP/1.0\r\n\r\n";
        $name{$s} = "$dir/scrape.$i.txt"; $select->add($s);
    }
    while ($select->count) {
        for my $s ($select->can_read(30)) {
            my $n = sysread($s, my $chunk, 1 << 20);
            if ($n) { $out{$s} .= $chunk; next }
            open(my $f, ">", $name{$s}) or die; print $f ($out{$s} // ""); close $f;
            $select->remove($s); close $s;
        }
    }' "$(control_socket d1)" "$METRICS" "$WORK" || fail "the client failed"
statuses=0 scrapes=0 unanswered=0
for f in "$WORK"/status.*.json "$WORK"/scrape.*.txt; do [ -s "$f" ] || unanswered=$((unanswered + 1)); done
for i in $(seq 50); do
    # (a client too slow to read for 10 s is cut off by design: its answer is not counted)
    jq -e . "$WORK/status.$i.json" >/dev/null 2>&1 || continue
    jq -e '.arguments.virtual_servers | length == 2001
           and (map(.real_servers | length) | add) == 20200
           and (last.real_servers | map(.address) | unique | length) == 200' \
        "$WORK/status.$i.json" >/dev/null || fail "status $i is not whole"
    statuses=$((statuses + 1))
done
for i in $(seq 300); do
    grep -q "200 OK" "$WORK/scrape.$i.txt" && tail -n 1 "$WORK/scrape.$i.txt" |
        grep -q '^directord_ipvs_sync_daemon_master ' || continue
    [ "$(grep -c '^directord_real_server_up{' "$WORK/scrape.$i.txt")" = 20200 ] &&
        [ "$(grep '^directord_real_server_up{virtual_server="10.101.0.1:80"' "$WORK/scrape.$i.txt" |
            sort -u | wc -l)" = 200 ] ||
        fail "scrape $i is not whole"
    scrapes=$((scrapes + 1))
done
say "whole: $statuses of 50 status requests, $scrapes of 300 scrapes; $unanswered clients unanswered"
[ "$unanswered" = 0 ] || fail "$unanswered clients got no answer (dropped)"
[ "$statuses" -ge 1 ] && [ "$scrapes" -ge 1 ] || fail "no whole answer"
log_has d2 "entering MASTER" && fail "the backup took over: status or metrics held d1's loop"
expect_stays d1 1
log_has d2 "entering MASTER" && fail "the backup took over"
say "PASS"
