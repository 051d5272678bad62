#!/usr/bin/env bash
# directord --check: 0 and a summary for a valid file; 2 and every error (file:line:col,
# key path) for an invalid one; usage errors exit 2 too.
set -euo pipefail
DIRECTORD=${DIRECTORD:?}
DIRECTORCTL=${DIRECTORCTL:?}
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*"; exit 1; }

# Every example, with its MySQL password file pointed at a private scratch file (the check
# reads it: a missing or group-readable one is an error).
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/directord-check.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
install -m 0600 /dev/null "$SCRATCH/mysql.pass"
echo secret >"$SCRATCH/mysql.pass"
for f in "$HERE"/../../examples/*.yaml "$HERE"/../../examples/*/*.yaml; do
    copy=$SCRATCH/$(basename "$f")
    sed "s#/etc/directord/mysql.pass#$SCRATCH/mysql.pass#" "$f" >"$copy"
    out=$("$DIRECTORCTL" check "$copy" 2>&1) || fail "$f is rejected: $out"
    echo "$out"
    if grep -q "^nodes:" "$copy"; then  # a cluster file: each director checks its own node
        for node in $(echo "$out" | sed -n 's/.* node \([^:]*\): OK .*/\1/p'); do
            "$DIRECTORD" --check -f "$copy" --node "$node" >/dev/null ||
                fail "directord --check --node $node rejects $f"
        done
        unknown=$("$DIRECTORD" --check -f "$copy" --node no-such-node 2>&1) &&
            fail "directord --check accepted an unknown node of $f"
        echo "$unknown" | grep -q "no node named 'no-such-node'" || fail "unknown node of $f: $unknown"
    fi
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
# directorctl import-keepalived: YAML on stdout that directord accepts, notes on stderr,
# exit 2 for an unreadable file.
DIRECTORCTL=${DIRECTORCTL:?}
"$DIRECTORCTL" import-keepalived "$HERE/../data/keepalived/d3.conf" >"$SCRATCH/d3.yaml" \
    2>"$SCRATCH/d3.notes" || fail "import-keepalived failed"
"$DIRECTORD" --check -f "$SCRATCH/d3.yaml" || fail "the imported file is rejected"
grep -q "d3.conf:40: not converted: smtp_alert" "$SCRATCH/d3.notes" || fail "notes: $(cat "$SCRATCH/d3.notes")"
set +e
"$DIRECTORCTL" import-keepalived /nonexistent.conf >/dev/null 2>&1; rc_import=$?
set -e
[ "$rc_import" = 2 ] || fail "import of a missing file exits $rc_import"

# A pair: one cluster file that each director's node loads; a password that differs: exit 2.
KA=$HERE/../data/keepalived
"$DIRECTORCTL" import-keepalived "$KA/d1.conf" "$KA/d1-peer.conf" >"$SCRATCH/pair.yaml" 2>"$SCRATCH/pair.notes" ||
    fail "pair import failed: $(cat "$SCRATCH/pair.notes")"
grep -q "to fix before use" "$SCRATCH/pair.notes" && fail "the pair's cluster file is not valid: $(cat "$SCRATCH/pair.notes")"
for node in DLVS1 DLVS2; do
    "$DIRECTORD" --check -f "$SCRATCH/pair.yaml" --node "$node" || fail "node $node of the pair's file"
done
sed 's/auth_pass dlvs-52/auth_pass other52/' "$KA/d1-peer.conf" >"$SCRATCH/bad-peer.conf"
set +e
"$DIRECTORCTL" import-keepalived "$KA/d1.conf" "$SCRATCH/bad-peer.conf" >"$SCRATCH/bad.yaml" 2>"$SCRATCH/bad.notes"
rc_pair=$?
set -e
[ "$rc_pair" = 2 ] || fail "a pair with different passwords exits $rc_pair"
grep -q "not converted: instance VI_INSIDE: auth differs between" "$SCRATCH/bad.notes" || fail "$(cat "$SCRATCH/bad.notes")"
[ -s "$SCRATCH/bad.yaml" ] && fail "a pair that differs was converted anyway"
echo "PASS"
