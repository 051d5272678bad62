#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage builds it from a clean copy of the tree, lintian finds
# nothing to say, and in an overlay of this machine's root (a private mount namespace: the
# machine itself is not touched) it installs and purges with dpkg and with apt: the programs
# work, the units pass systemd-analyze verify, the configuration is a conffile kept across a
# reinstall and a remove, and a purge leaves nothing behind.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/directord-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "[$((SECONDS - started))s] $*"; }
started=$SECONDS

# The overlay's lower layer is the root file system alone: a separate /usr, /var or /etc
# would be missing from it.
for dir in /usr /var /etc; do
    if [ "$(stat -c %d "$dir")" != "$(stat -c %d /)" ]; then
        echo "SKIP: $dir is a file system of its own"
        exit 77
    fi
done

if [ -n "${DEB:-}" ]; then  # DEB=FILE: that package, built before (lintian reads the .deb)
    deb=$DEB
else
    # A clean copy: what git tracks (and new files it does not ignore), none of the build trees.
    mkdir "$WORK/directord"
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$WORK/directord"
    say "building with dpkg-buildpackage"
    (cd "$WORK/directord" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
        >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "dpkg-buildpackage"; }
    grep -q "unit_tests" "$WORK/build.log" && fail "the package build compiled the tests"
    deb=$(ls "$WORK"/directord_*.deb)
    say "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
fi

# Any tag down to information fails (overrides: debian/directord.lintian-overrides, each with
# its reason); as root lintian says so first, and that line is not about the package.
version=$(dpkg-deb -f "$deb" Version)
name=directord_${version}_$(dpkg-deb -f "$deb" Architecture).deb
lintian_out=$(lintian --display-info "${DEB:-$WORK/${name%.deb}.changes}" 2>&1 |
    grep -v "running with root privileges" || true)
[ -z "$lintian_out" ] || { echo "$lintian_out"; fail "lintian has something to say"; }
say "lintian: clean (errors, warnings and information)"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/directord ./usr/sbin/directorctl ./lib/systemd/system/directord.service \
    ./lib/systemd/system/directord-withdraw.service ./etc/directord/directord.yaml \
    ./usr/share/man/man8/directord.8.gz ./usr/share/man/man8/directorctl.8.gz \
    ./usr/share/man/man5/directord.yaml.5.gz ./usr/share/doc/directord/copyright \
    ./usr/share/doc/directord/examples/prometheus/directord-alerts.yml \
    ./usr/share/doc/directord/examples/grafana/directord-dashboard.json \
    ./usr/share/doc/directord/examples/bgp/frr-director.conf; do
    grep -qx -- "$f" <<<"$contents" || fail "$f is not in the package"
done
grep -q "bench\|unit_tests" <<<"$contents" && fail "developers' programs in the package"
dpkg-deb -I "$deb" postrm | grep "deb-systemd-helper purge 'directord.service'" >/dev/null ||
    fail "no maintainer script for the units: debhelper did not see them"

# The rounds run in a chroot into the overlay; /run is empty there, so no systemd is seen and
# no maintainer script reaches this machine's services.
[ "$deb" -ef "$WORK/$name" ] || cp "$deb" "$WORK/$name"
{ echo "deb=/tmp/package/$name version=$version"; cat; } >"$WORK/rounds.sh" <<'EOF'
set -euo pipefail
cd /tmp/package  # (the directory the chroot was entered from is not in it)
fail() { echo "FAIL: $*"; exit 1; }
conf=/etc/directord/directord.yaml
installed_and_working() {
    [ "$(directord --version)" = "directord $version" ] || fail "directord --version"
    directord --check -f "$conf" >/dev/null || fail "the shipped configuration is invalid"
    directorctl check "$conf" >/dev/null || fail "directorctl check"
    dpkg-query -W -f='${Conffiles}\n' directord | grep -q " $conf " || fail "$conf is not a conffile"
    man -w directord.yaml >/dev/null || fail "no man page directord.yaml(5)"
    out=$(systemd-analyze verify /lib/systemd/system/directord.service \
        /lib/systemd/system/directord-withdraw.service 2>&1) || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
    [ ! -e /etc/systemd/system/multi-user.target.wants/directord.service ] ||
        fail "enabled on install: it would take part in elections at the next boot"
}

echo "round 1: dpkg"
dpkg -i "$deb" >/dev/null
installed_and_working
echo "# the operator's edit" >>"$conf"
dpkg -i "$deb" >/dev/null
grep -q "the operator's edit" "$conf" || fail "a reinstall replaced the edited $conf"
dpkg -r directord >/dev/null
[ ! -e /usr/sbin/directord ] || fail "remove left /usr/sbin/directord"
grep -q "the operator's edit" "$conf" || fail "remove did not keep $conf"
dpkg -P directord >/dev/null
[ ! -e /etc/directord ] || fail "purge left /etc/directord"

echo "round 2: apt, the unit enabled by the operator"
out=$(apt-get install -y -qq "$deb" 2>&1) || fail "apt-get install: $out"
installed_and_working
systemctl enable directord.service 2>/dev/null
[ -L /etc/systemd/system/multi-user.target.wants/directord.service ] || fail "systemctl enable"
out=$(apt-get purge -y -qq directord 2>&1) || fail "apt-get purge: $out"
EOF
cat >"$WORK/overlay.sh" <<'EOF'
set -euo pipefail
work=$1
mount -t tmpfs tmpfs "$work/mnt"
cd "$work/mnt"
mkdir upper scratch root
mount -t overlay overlay -o lowerdir=/,upperdir="$PWD/upper",workdir="$PWD/scratch" root
mount --rbind /dev root/dev
mount -t proc proc root/proc
mount -t tmpfs tmpfs root/run
mount -t tmpfs tmpfs root/tmp
mkdir root/tmp/package
cp "$work"/directord_*.deb "$work/rounds.sh" root/tmp/package/
chroot root bash /tmp/package/rounds.sh
umount -R root/tmp root/run root/proc root/dev
# What the rounds changed on the root: only package managers' own records and logs may remain.
cd upper
find . ! -type d | sed 's|^\./||' |
    grep -Ev '^var/(lib/dpkg|lib/apt|cache/apt|cache/debconf|cache/man|log)/' || true
EOF
mkdir "$WORK/mnt"
left=$(unshare --mount --propagation private bash "$WORK/overlay.sh" "$WORK") ||
    { echo "$left"; fail "the install and purge rounds"; }
grep -v '^round' <<<"$left" | grep . && fail "a purge left the files above behind"
grep '^round' <<<"$left"
say "installed and purged twice (dpkg, apt): nothing left behind"
echo "PASS"
