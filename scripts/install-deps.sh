#!/usr/bin/env bash
# Installs everything directord needs to build, test and run its lab, from Debian 12's
# own packages. Idempotent; run as root.
set -euo pipefail
packages=(
    # build
    cmake ninja-build g++ pkg-config
    libboost-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libyaml-cpp-dev libfmt-dev
    libcurl4-openssl-dev libgtest-dev
    # lab and integration tests
    iproute2 iputils-ping procps tcpdump keepalived perl openssl
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
