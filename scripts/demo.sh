#!/usr/bin/env bash
# The directord demo, one command, as root on Debian 12: installs what it needs, builds, runs.
#   scripts/demo.sh              the whole product (scripts/demo_lab.sh): two directors
#                                programming IPVS in front of two web servers, a client all
#                                along; check failure, maintenance, kill -9 with a long-lived
#                                connection kept by the sync daemon. Natively where the kernel
#                                has IPVS, else inside the VM the tests boot.
#   scripts/demo.sh --vrrp-only  the quick VRRP lab without IPVS (scripts/demo_vrrp.sh)
# Everything it creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    "" | --vrrp-only) ;;
    *) echo "usage: scripts/demo.sh [--vrrp-only]" >&2; exit 2 ;;
esac
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build >/dev/null
export DIRECTORD=$PWD/build/daemon/directord DIRECTORCTL=$PWD/build/daemon/directorctl
[ "${1:-}" = --vrrp-only ] && exec scripts/demo_vrrp.sh
if modprobe ip_vs 2>/dev/null && [ -d /proc/sys/net/ipv4/vs ]; then
    exec scripts/demo_lab.sh
fi
echo "this kernel has no IPVS: the lab runs inside a VM booted from Debian's kernel (no KVM: emulated, slower)"
exec scripts/demo_lab_vm.sh
