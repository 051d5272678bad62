#!/usr/bin/env bash
# Runs a command inside a throw-away VM booted from Debian's own kernel, which has IPVS as
# modules, for tests on hosts whose kernel has no IPVS (and maybe no KVM: plain emulation
# boots in ~4 s). Nothing is installed: the kernel package is fetched with apt-get download
# and unpacked into a cache once.
#
#   run-in-vm.sh PAYLOAD... -- COMMAND...
#
# Each PAYLOAD (a file, or a directory whose contents are taken) is copied to /payload, the
# command's working directory; dynamically linked programs among them get their host
# libraries copied along (same Debian release inside). The
# command runs as root under /bin/sh with IPVS, veth and bridge available and stdin closed;
# its output (stdout and stderr) comes back on stdout and its exit status is ours. 124: the
# VM timed out; 125: it died without a status (its console is printed to stderr).
#
# Environment: VM_CACHE (kernel cache, default ~/.cache/directord-vm), VM_MEM (MiB, 512),
# VM_TIMEOUT (s, 300), VM_BINARIES (host programs to copy in, default "ipvsadm ip bash tcpdump"),
# VM_ENV (names of variables to export into the VM), VM_OUTDIR (where /out comes back),
# VM_VERBOSE=1 (print the guest console), VM_ACCEL (kvm, tcg or auto: KVM if it runs the guest).
#
# Channels: ttyS0 kernel console, ttyS1 the command's output, ttyS2 the exit status,
# ttyS3 a tar of /out. The guest has no network card: traffic stays in its namespaces.
set -euo pipefail

die() { echo "run-in-vm: $*" >&2; exit 2; }
PAYLOAD=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    [ -e "$1" ] || die "payload '$1' does not exist"
    PAYLOAD+=("$1")
    shift
done
[ $# -ge 2 ] || die "usage: $0 PAYLOAD... -- COMMAND..."
shift
CMD=$(printf '%q ' "$@")
for tool in qemu-system-x86_64 cpio depmod modprobe ldd busybox xz; do
    command -v "$tool" >/dev/null || die "missing $tool (scripts/install-deps.sh installs it)"
done
VM_CACHE=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/directord-vm}

# The kernel: Debian's current linux-image-amd64, unpacked (not installed) into the cache.
kernel_root() {
    local k
    for k in "$VM_CACHE"/root/boot/vmlinuz-*; do
        [ -f "$k" ] && [ -f "$VM_CACHE/root/lib/modules/${k##*/vmlinuz-}/modules.dep" ] && return 0
    done
    local pkg
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (apt-get update first)"
    echo "run-in-vm: fetching $pkg into $VM_CACHE (once)" >&2
    mkdir -p "$VM_CACHE"
    (cd "$VM_CACHE" && rm -f ./*.deb && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
    rm -rf "$VM_CACHE/root"
    dpkg-deb -x "$VM_CACHE/$pkg"_*.deb "$VM_CACHE/root" && rm -f "$VM_CACHE"/*.deb
    depmod -b "$VM_CACHE/root" "$(ls "$VM_CACHE/root/lib/modules" | head -n 1)"
}
kernel_root
BZIMAGE=$(ls "$VM_CACHE"/root/boot/vmlinuz-* | sort -V | tail -n 1)
KVER=${BZIMAGE##*/vmlinuz-}
MODROOT=$VM_CACHE/root
MODDIR=$MODROOT/lib/modules/$KVER

# Boot the uncompressed vmlinux through QEMU's PVH entry: decompressing the bzImage inside
# an emulated CPU costs seconds per boot. Cut the XZ stream out of the bzImage once.
VMLINUX=$VM_CACHE/vmlinux-$KVER
if [ ! -s "$VMLINUX" ]; then
    offset=$(od -An -v -tx1 "$BZIMAGE" | tr -d ' \n' | grep -bo 'fd377a585a00' | head -n 1 | cut -d: -f1)
    [ -n "$offset" ] && [ $((offset % 2)) -eq 0 ] || die "no XZ stream in $BZIMAGE"
    tail -c +$((offset / 2 + 1)) "$BZIMAGE" | xz -dc >"$VMLINUX.tmp" 2>/dev/null || true
    [ "$(head -c 4 "$VMLINUX.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || die "could not extract vmlinux"
    mv "$VMLINUX.tmp" "$VMLINUX"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-in-vm.XXXXXX")
QEMU_PID=
cleanup() {
    [ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The root file system: busybox, the host's dash and bash, the chosen programs with their
# libraries, the kernel modules IPVS and the namespaces need, the payload.
R=$WORK/root
mkdir -p "$R"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,proc,sys,dev,run,tmp,var,root,payload,out}
ln -s usr/bin "$R/bin"; ln -s usr/sbin "$R/sbin"; ln -s usr/lib "$R/lib"; ln -s usr/lib64 "$R/lib64"
ln -s ../run "$R/var/run"; ln -s ../tmp "$R/var/tmp"
cp -L "$(command -v busybox)" "$R/usr/bin/busybox"
# Debian's busybox sh prefers its own applets (its `ip` has no netns): use the host's dash.
ln -s dash "$R/usr/bin/sh"
FILES=()
libraries_of() {
    local f
    for f in "$@"; do FILES+=($(ldd "$f" 2>/dev/null | grep -o '/[^ )]*' || true)); done
}
for b in dash ${VM_BINARIES:-ipvsadm ip bash tcpdump}; do
    p=$(command -v "$b") || die "'$b' is not installed"
    FILES+=("$(readlink -f "$p")")
    libraries_of "$(readlink -f "$p")"
done
for item in "${PAYLOAD[@]}"; do
    if [ -d "$item" ]; then cp -a "$item"/. "$R/payload/"; else cp -L "$item" "$R/payload/"; fi
done
# Programs go in without their debug information: the sanitizer build's directord alone is
# 200 MB of it, and the initramfs is unpacked into the guest's memory next to its own copy
# (the demo's 1 GiB guest ran out and booted without /bin/sh). Symbols stay for the reports.
while IFS= read -r -d '' f; do
    [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
    libraries_of "$f"
    strip --strip-debug "$f"
done < <(find "$R/payload" -type f -perm /111 -print0)
printf '%s\n' "${FILES[@]}" | sort -u |
    xargs -d '\n' cp -L --preserve=mode --parents -t "$R"

MODULES="$(cd "$MODDIR/kernel/net/netfilter/ipvs" && ls | sed -n 's/\.ko.*$//p' | tr '\n' ' ') veth bridge dummy ipip 8021q"
KOS=$(modprobe -d "$MODROOT" -S "$KVER" --show-depends -a $MODULES | awk '$1 == "insmod" { print $2 }' | sort -u)
(cd "$MODROOT" && printf '%s\n' $KOS | sed "s|^${MODROOT%/}/||" | xargs -d '\n' cp --parents -t "$R")
for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$R/usr/lib/modules/$KVER/"
done
depmod -b "$R" "$KVER"
echo "$MODULES" >"$R/etc/vm-modules"
printf '%s\n' "$CMD" >"$R/etc/vm-cmd"
: >"$R/etc/vm-env"
for v in ${VM_ENV:-}; do [ -z "${!v+x}" ] || printf 'export %s=%q\n' "$v" "${!v}" >>"$R/etc/vm-env"; done
# nobody: the user directord runs programs as by default.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

cat >"$R/init" <<'INIT'
#!/usr/bin/busybox sh
export PATH=/usr/sbin:/usr/bin HOME=/root TERM=dumb
/usr/bin/busybox --install -s /usr/bin 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
rm -f /usr/sbin/modprobe; ln -s ../bin/busybox /usr/sbin/modprobe  # for request_module()
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/pts /dev/shm /run/netns
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf fd/0 /dev/stdin; ln -sf fd/1 /dev/stdout; ln -sf fd/2 /dev/stderr
mount --make-rshared /
ip link set lo up
for m in $(cat /etc/vm-modules); do modprobe "$m" || echo "init: modprobe $m failed"; done
stty -F /dev/ttyS1 raw -echo; stty -F /dev/ttyS2 raw -echo
echo VM_BOOTED >/dev/ttyS2
cd /payload
. /etc/vm-env
/bin/sh -c "$(cat /etc/vm-cmd)" >/dev/ttyS1 2>&1 </dev/null
rc=$?
cd /
kill -9 -1 2>/dev/null; sleep 0.2  # leftovers gone, the output tty drains on its last close
stty -F /dev/ttyS3 raw -echo; tar -C /out -cf /dev/ttyS3 .
: >/dev/ttyS1
echo "VM_EXIT_STATUS=$rc" >/dev/ttyS2
sync
poweroff -f
INIT
chmod 755 "$R/init"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$WORK/initrd"

# KVM where it can run the guest, else emulation. A /dev/kvm that exists may still fail the
# guest: seen "KVM internal error. Suberror: 1" / "emulation failure" with the guest hung, and
# qemu aborting on "failed to set MSR" on nested hosts. A KVM start whose guest has not reached
# its init within KVM_BOOT_LIMIT seconds (it takes well under one) counts as such a failure: the
# VM is started again under emulation, and the verdict is kept for this boot so later runs go
# straight to emulation. VM_ACCEL=kvm|tcg skips the choice; VM_KVM_DEVICE names the device.
KVM_DEVICE=${VM_KVM_DEVICE:-/dev/kvm}
KVM_VERDICT=$VM_CACHE/kvm-fails-on-boot
KVM_BOOT_LIMIT=30
BOOT_ID=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
case ${VM_ACCEL:-auto} in
kvm | tcg) accel=$VM_ACCEL ;;
auto)
    accel=tcg
    if [ -r "$KVM_DEVICE" ] && [ -w "$KVM_DEVICE" ]; then
        if [ "$(cat "$KVM_VERDICT" 2>/dev/null)" = "$BOOT_ID" ]; then
            echo "run-in-vm: KVM failed to run the guest earlier on this boot: emulation" >&2
        else
            accel=kvm
        fi
    fi
    ;;
*) die "VM_ACCEL must be kvm, tcg or auto, not '$VM_ACCEL'" ;;
esac

# run_qemu ACCEL: boots the VM; 3 = KVM could not run the guest, else qemu's status.
run_qemu() {
    local accel=$1 watcher qemu_rc
    : >"$WORK/qemu.err"
    : >"$WORK/status"
    timeout -k 5 "${VM_TIMEOUT:-300}" qemu-system-x86_64 \
        -machine pc -accel "$accel" -cpu max -smp 1 -m "${VM_MEM:-512}" \
        -nodefaults -no-user-config -display none -monitor none -no-reboot \
        -kernel "$VMLINUX" -initrd "$WORK/initrd" \
        -append "console=ttyS0 rdinit=/init quiet loglevel=4 panic=-1 oops=panic mitigations=off cryptomgr.notests no_timer_check tsc=reliable random.trust_cpu=on 8250.nr_uarts=4" \
        -serial "file:$WORK/console.log" -chardev stdio,id=out,signal=off -serial chardev:out \
        -serial "file:$WORK/status" -serial "file:$WORK/out.tar" </dev/null 2>"$WORK/qemu.err" &
    QEMU_PID=$!
    if [ "$accel" = kvm ]; then
        (
            deadline=$((SECONDS + KVM_BOOT_LIMIT))
            while kill -0 "$QEMU_PID" 2>/dev/null && ! grep -q VM_BOOTED "$WORK/status"; do
                if grep -q -e 'KVM internal error' -e 'emulation failure' "$WORK/qemu.err" ||
                    [ "$SECONDS" -ge "$deadline" ]; then
                    echo "the guest did not boot in ${KVM_BOOT_LIMIT}s" >>"$WORK/qemu.err"
                    kill "$QEMU_PID"  # timeout passes it on to qemu
                    exit
                fi
                sleep 0.2
            done
        ) &
        watcher=$!
    fi
    wait "$QEMU_PID" 2>/dev/null && qemu_rc=0 || qemu_rc=$?  # bash would say "Aborted"
    QEMU_PID=
    if [ "$accel" = kvm ]; then
        kill "$watcher" 2>/dev/null || true
        wait "$watcher" 2>/dev/null || true
        grep -q VM_BOOTED "$WORK/status" || return 3
    fi
    cat "$WORK/qemu.err" >&2
    return "$qemu_rc"
}

run_qemu "$accel" && qemu_rc=0 || qemu_rc=$?
if [ "$qemu_rc" = 3 ]; then
    reason=$(grep -a -m 1 -i -e 'error' -e 'failure' -e 'did not boot' "$WORK/qemu.err" |
        sed 's/^qemu-system-x86_64: //') || reason="qemu ended"
    [ "${VM_ACCEL:-auto}" = kvm ] && { echo "run-in-vm: KVM cannot run the guest ($reason)" >&2; exit 125; }
    echo "run-in-vm: KVM cannot run the guest ($reason): emulation instead (VM_ACCEL=tcg skips KVM)" >&2
    mkdir -p "$VM_CACHE" && echo "$BOOT_ID" >"$KVM_VERDICT"
    rm -f "$WORK/out.tar" "$WORK/console.log"
    run_qemu tcg && qemu_rc=0 || qemu_rc=$?
fi

rc=$(grep -a -o 'VM_EXIT_STATUS=[0-9]*' "$WORK/status" 2>/dev/null | tail -n 1 | cut -d= -f2) || true
if [ "${VM_VERBOSE:-0}" = 1 ] || [ -z "$rc" ]; then
    echo "----- guest console -----" >&2
    tail -n 60 "$WORK/console.log" >&2
fi
if [ -n "${VM_OUTDIR:-}" ] && [ -s "$WORK/out.tar" ]; then
    mkdir -p "$VM_OUTDIR" && tar -C "$VM_OUTDIR" -xf "$WORK/out.tar"
fi
if [ -z "$rc" ]; then
    [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ] && { echo "run-in-vm: timed out" >&2; exit 124; }
    echo "run-in-vm: the VM ended without a status (qemu $qemu_rc)" >&2
    exit 125
fi
exit "$rc"
