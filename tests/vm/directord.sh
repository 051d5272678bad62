#!/usr/bin/env bash
# Runs one of the in-VM scenarios (tests/vm/in-vm/NAME.sh) with the directord binary inside a
# VM booted from Debian's own kernel, which has IPVS.
#   directord.sh NAME [ARGUMENTS...]
set -euo pipefail
DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
HERE=$(cd "$(dirname "$0")" && pwd)
payload=$(mktemp -d "${TMPDIR:-/tmp}/directord-vm.XXXXXX")
trap 'rm -rf "$payload"' EXIT
cp "$DIRECTORD" "$payload/directord"
cp "$HERE/in-vm/$1.sh" "$payload/scenario.sh"
cp "$HERE/in-vm/lib.sh" "$payload/lib.sh"
shift
"$HERE/run-in-vm.sh" "$payload" bash ./scenario.sh "$@"
