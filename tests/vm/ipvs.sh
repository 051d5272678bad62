#!/usr/bin/env bash
# Runs the IPVS tests (a GoogleTest binary) inside a VM booted from Debian's own kernel.
# (A sanitizer build runs with the sanitizers' defaults inside: the host's option files are not
# there; 50,000 destinations under AddressSanitizer need more than the default 512 MiB.)
set -euo pipefail
IPVS_VM_TESTS=${IPVS_VM_TESTS:?set IPVS_VM_TESTS to the ipvs_vm_tests binary}
VM_MEM=1536 "$(dirname "$0")/run-in-vm.sh" "$IPVS_VM_TESTS" -- ./"$(basename "$IPVS_VM_TESTS")" --gtest_color=no
