#!/usr/bin/env bash
# Runs one of the in-VM scenarios (tests/vm/in-vm/NAME.sh) with the directord binary inside a
# VM booted from Debian's own kernel, which has IPVS. The examples come along (D1, D3 run
# from them).
#   directord.sh NAME [ARGUMENTS...]
set -euo pipefail
DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
IN_VM=$(dirname "$0")/in-vm
scenario=$1
shift
# directorctl comes along when the scenario steers the daemon.
"$(dirname "$0")/run-in-vm.sh" "$DIRECTORD" ${DIRECTORCTL:+"$DIRECTORCTL"} "$IN_VM/$scenario.sh" "$IN_VM/lib.sh" \
    "$(dirname "$0")/../../examples" -- \
    bash "./$scenario.sh" "$@"
