#!/usr/bin/env bash
# Runs every test: installs dependencies, builds with -Werror, runs the whole suite
# (unit, cli, netns, interop), then builds again with ASan+UBSan and runs it again.
# Run as root (network namespaces). A slice: LABEL=unit scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
label_args=()
[ -n "${LABEL:-}" ] && label_args=(-L "$LABEL")

run_suite() {  # run_suite BUILD_DIR [cmake options...]
    local dir=$1
    shift
    cmake -S . -B "$dir" -G Ninja -DDIRECTORD_WERROR=ON "$@" >/dev/null
    cmake --build "$dir"
    # The package test (release suite only) is a build of its own: it runs beside the other
    # tests, which are made to pass on shared cores, and its output follows theirs.
    local package_pid=""
    if ctest --test-dir "$dir" -N -L package "${label_args[@]}" | grep "Total Tests: [1-9]" >/dev/null; then
        ctest --test-dir "$dir" --output-on-failure -L package "${label_args[@]}" \
            >"$dir/package-test.log" 2>&1 &
        package_pid=$!
    fi
    # Tests that are not RUN_SERIAL (the unit tests, the fuzzers) share the cores; the
    # timing-sensitive ones still run alone.
    local status=0
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" -LE package "${label_args[@]}" ||
        status=$?
    if [ -n "$package_pid" ]; then
        wait "$package_pid" || status=1
        cat "$dir/package-test.log"
    fi
    return "$status"
}

echo "== release build"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ASan + UBSan build"
ASAN_OPTIONS=detect_leaks=1:suppressions=$PWD/tests/asan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DDIRECTORD_SANITIZE=ON
