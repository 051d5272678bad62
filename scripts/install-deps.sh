#!/usr/bin/env bash
# Installs everything directord needs to build, test and run its lab, from Debian 12's
# own packages. Idempotent; run as root. Services that packages bring (mariadb, keepalived)
# are not started: the tests start their own instances and stop them.
set -euo pipefail
packages=(
    # build
    cmake ninja-build g++ pkg-config
    libboost-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libyaml-cpp-dev libfmt-dev
    libssl-dev libmariadb-dev libgtest-dev nlohmann-json3-dev libre2-dev
    libsystemd-dev
    # fuzzing (libFuzzer is clang's)
    clang libclang-rt-14-dev
    # lab and integration tests
    iproute2 iputils-ping procps tcpdump keepalived perl openssl curl
    mariadb-server mariadb-client galera-4 rsync socat jq man-db dnsmasq-base
    # routing engines of the BGP tier (their services are not started)
    frr bird2
    # alerting: promtool tests the shipped rules, a private prometheus scrapes the daemon
    prometheus
    # the Debian package: built with debhelper, checked with lintian
    debhelper lintian
    # real IPVS: Debian's kernel booted under qemu (the kernel package is fetched, not installed)
    qemu-system-x86 busybox-static ipvsadm cpio kmod xz-utils
)
# SMTP checks are tested against Postfix (a private instance; the package's own service is not
# started). Like every MTA it conflicts with the others, so where the machine already has another
# (a sendmail program that is not Postfix's), that one is left alone and the SMTP test skipped.
if [ ! -e /usr/sbin/sendmail ] || [ -e /usr/sbin/postfix ]; then packages+=(postfix); fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"  # 101: "action forbidden" for every service
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
