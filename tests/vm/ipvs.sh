#!/usr/bin/env bash
# Runs the IPVS tests (a GoogleTest binary) inside a VM booted from Debian's own kernel.
set -euo pipefail
IPVS_VM_TESTS=${IPVS_VM_TESTS:?set IPVS_VM_TESTS to the ipvs_vm_tests binary}
HERE=$(cd "$(dirname "$0")" && pwd)
payload=$(mktemp -d "${TMPDIR:-/tmp}/directord-vm.XXXXXX")
trap 'rm -rf "$payload"' EXIT
cp "$IPVS_VM_TESTS" "$payload/ipvs_vm_tests"
# (A sanitizer build runs with the sanitizers' defaults inside: the host's option files are not there.)
# 50,000 destinations under AddressSanitizer need more than the default 512 MiB.
VM_MEM=1536 "$HERE/run-in-vm.sh" "$payload" ./ipvs_vm_tests --gtest_color=no
