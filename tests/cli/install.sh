#!/usr/bin/env bash
# `cmake --install` puts the binaries, the systemd unit, the example configuration and the man
# pages in the usual places (here under a scratch prefix), and what it installs works.
set -euo pipefail
BUILD_DIR=${BUILD_DIR:?set BUILD_DIR to the build tree}
PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/directord-install.XXXXXX")
trap 'rm -rf "$PREFIX"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
for f in sbin/directord sbin/directorctl lib/systemd/system/directord.service \
    lib/systemd/system/directord-withdraw.service share/doc/directord/examples/bgp/frr-director.conf \
    etc/directord/directord.yaml share/man/man8/directord.8 share/man/man8/directorctl.8 \
    share/man/man5/directord.yaml.5 share/doc/directord/examples/d1-nat-mysql.yaml; do
    [ -e "$PREFIX/$f" ] || fail "$f not installed"
done
"$PREFIX/sbin/directord" --check -f "$PREFIX/etc/directord/directord.yaml" || fail "example config"
"$PREFIX/sbin/directorctl" check "$PREFIX/etc/directord/directord.yaml" >/dev/null || fail "directorctl"
unit=$PREFIX/lib/systemd/system/directord.service
grep -qx "Type=notify" "$unit" || fail "the unit is not Type=notify"
grep -q '^ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "ExecReload"
grep -q "^CapabilityBoundingSet=.*CAP_NET_ADMIN.*CAP_NET_RAW" "$unit" || fail "capabilities"
grep -qx "OnFailure=directord-withdraw.service" "$unit" || fail "no withdraw once restarts are exhausted"
for page in "$PREFIX"/share/man/man*/*; do
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "$page"
    [ -z "$out" ] || fail "$page: $out"
done
echo "PASS"
