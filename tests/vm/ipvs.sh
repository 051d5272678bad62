#!/usr/bin/env bash
# Runs the IPVS tests (a GoogleTest binary) inside a VM booted from Debian's own kernel.
set -euo pipefail
IPVS_VM_TESTS=${IPVS_VM_TESTS:?set IPVS_VM_TESTS to the ipvs_vm_tests binary}
HERE=$(cd "$(dirname "$0")" && pwd)
payload=$(mktemp -d "${TMPDIR:-/tmp}/directord-vm.XXXXXX")
trap 'rm -rf "$payload"' EXIT
cp "$IPVS_VM_TESTS" "$payload/ipvs_vm_tests"
# Sanitizer builds: leak checking needs ptrace-free /proc, which the VM has; keep defaults.
VM_ENV="ASAN_OPTIONS UBSAN_OPTIONS" "$HERE/run-in-vm.sh" "$payload" ./ipvs_vm_tests --gtest_color=no
