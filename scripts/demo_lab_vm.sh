#!/usr/bin/env bash
# scripts/demo_lab.sh inside the VM the tests boot from Debian's kernel, for hosts whose kernel
# has no IPVS: scripts/demo.sh falls back to it, and the vm.demo test runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIRECTORD=${DIRECTORD:?set DIRECTORD to the directord binary}
DIRECTORCTL=${DIRECTORCTL:?set DIRECTORCTL to the directorctl binary}
VM_MEM=${VM_MEM:-1024} VM_BINARIES="ipvsadm ip bash" exec tests/vm/run-in-vm.sh \
    "$DIRECTORD" "$DIRECTORCTL" scripts/demo_lab.sh scripts/lab.sh -- \
    env DIRECTORD=/payload/directord DIRECTORCTL=/payload/directorctl bash ./demo_lab.sh
