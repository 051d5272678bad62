#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for SECONDS from the
# project's own files as seeds. The suite runs them briefly; a longer hunt:
#   tests/fuzz/run.sh 600
# A finding is written as crash-*/timeout-*/oom-* into the fuzz build directory with the
# input that caused it; the script then exits non-zero.
set -euo pipefail
EACH=${1:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (scripts/install-deps.sh)" >&2; exit 2; }
CXX=clang++ cmake -S "$HERE" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/directord-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
seeds() {
    case $1 in
    config) echo "$ROOT/examples" ;;
    keepalived) echo "$ROOT/tests/data/keepalived" ;;
    *) ;;
    esac
}
status=0
for target in config keepalived vrrp_packet ipvs_answer text check_answer; do
    mkdir -p "$work/$target"
    # shellcheck disable=SC2046
    if (cd "$BUILD" && "./fuzz_$target" -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$work/$target" $(seeds "$target")) \
        >"$work/$target.log" 2>&1; then
        echo "fuzz $target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" |
            grep -o '[0-9]*$') inputs in ${EACH}s, no finding"
    else
        echo "fuzz $target: FINDING"
        tail -n 40 "$work/$target.log"
        status=1
    fi
done
exit "$status"
