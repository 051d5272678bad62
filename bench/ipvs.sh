#!/usr/bin/env bash
# IPVS programming figures in the VM (Debian's kernel under qemu): directord's client vs
# `ipvsadm -R` for the same rules, a 1 % reload, and the whole table read in one go (one turn
# of the loop, as start-up adoption was) beside the same read in the daemon's 10 ms steps (the
# longest shown). Absolute times are those of an emulated CPU (10-30x native); compare the
# columns of one run. Not a test. Run as root after a build.
#   bench/ipvs.sh [DESTINATIONS...]       (default 1000 10000 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-$PWD/build/bench/ipvs_bench}
[ -x "$BENCH" ] || { echo "build first (cmake --build build)" >&2; exit 2; }
payload=$(mktemp -d "${TMPDIR:-/tmp}/directord-bench.XXXXXX")
trap 'rm -rf "$payload"' EXIT
[ $# -gt 0 ] || set -- 1000 10000 50000
# Each run gets a fresh network namespace (IPVS is per namespace): removed destinations
# linger in the kernel's trash list, which every later add searches.
cat >"$payload/run.sh" <<'RUN'
printf '%12s %14s %14s %7s %14s %8s %16s %14s %8s %16s\n' destinations "directord (s)" "ipvsadm -R (s)" ratio "1% reload (s)" changes "reload+read (s)" "read, one (ms)" steps "longest step (ms)"
for n in "$@"; do
    for ns in r d; do ip netns add $ns; ip -n $ns link set lo up; done
    restore=$(ip netns exec r ./ipvs_bench restore "$n")
    set -- $(ip netns exec d ./ipvs_bench program "$n")
    awk -v n="$n" -v r="$restore" -v p="$2" -v l="$4" -v c="$6" -v f="$8" -v o="${10}" \
        -v k="${12}" -v m="${14}" 'BEGIN {
        printf "%12d %14.3f %14.3f %6.1fx %14.3f %8d %16.3f %14.1f %8d %16.1f\n",
            n, p, r, r / p, l, c, f, o * 1000, k, m * 1000 }'
    ip netns del r; ip netns del d
done
RUN
VM_TIMEOUT=900 tests/vm/run-in-vm.sh "$BENCH" "$payload" -- bash ./run.sh "$@"
