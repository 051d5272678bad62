#!/usr/bin/env bash
# directord --check: 0 and a summary for a valid file; 2 and every error (file:line:col,
# key path) for an invalid one; usage errors exit 2 too.
set -euo pipefail
DIRECTORD=${DIRECTORD:?}
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*"; exit 1; }

for f in "$HERE"/../../examples/*.yaml; do
    out=$("$DIRECTORD" --check -f "$f") || fail "$f is rejected: $out"
    echo "$out"
done

set +e
out=$("$DIRECTORD" --check -f "$HERE/../data/config/invalid.yaml" 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" = 2 ] || fail "exit code $rc for an invalid file (expected 2)"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "expected all 3 errors"
echo "$out" | grep -qx ".*invalid.yaml:6:13: vrrp.instances\[0\].vrid: 300 is out of range (1..255)" || fail "vrid error"
echo "$out" | grep -qx ".*invalid.yaml:7:7: vrrp.instances\[0\].prio: unknown key .*" || fail "unknown key error"
echo "$out" | grep -qx ".*invalid.yaml:8:14: vrrp.instances\[0\].vips\[0\]: '10.0.0.300/24' is not an IP address" || fail "vip error"

set +e
"$DIRECTORD" --check -f /nonexistent.yaml >/dev/null 2>&1; rc_missing=$?
"$DIRECTORD" --bogus >/dev/null 2>&1; rc_usage=$?
set -e
[ "$rc_missing" = 2 ] || fail "missing file exit code $rc_missing"
[ "$rc_usage" = 2 ] || fail "usage error exit code $rc_usage"
echo "PASS"
