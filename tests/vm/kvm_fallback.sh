#!/usr/bin/env bash
# The VM runner on a host whose /dev/kvm exists but cannot run the guest: a stand-in qemu
# fails every KVM start the way a broken nested host does (the error, then a hung guest); the
# runner must notice, boot under emulation, say so in one line, and go straight to emulation
# on the next run of the same boot.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kvm-fallback.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

REAL_QEMU=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 is not installed"
mkdir -p "$T/bin" "$T/cache"
cat >"$T/bin/qemu-system-x86_64" <<STANDIN
#!/usr/bin/env bash
echo "\$*" >>"$T/invocations"
case " \$* " in
*" -accel kvm "*)
    echo "KVM internal error. Suberror: 1" >&2
    echo "emulation failure" >&2
    exec sleep 600 ;;
esac
exec "$REAL_QEMU" "\$@"
STANDIN
chmod +x "$T/bin/qemu-system-x86_64"
: >"$T/kvm"  # a readable, writable stand-in for /dev/kvm

# The kernel cache is shared with the other VM tests; the KVM verdict goes to this test's own.
"$HERE/run-in-vm.sh" "$HERE/kvm_fallback.sh" -- true  # fills the shared cache if needed
SHARED=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/directord-vm}
ln -s "$SHARED/root" "$T/cache/root"
ln -s "$SHARED"/vmlinux-* "$T/cache/"

run() {
    local started=$SECONDS
    PATH="$T/bin:$PATH" VM_CACHE="$T/cache" VM_KVM_DEVICE="$T/kvm" VM_ACCEL=auto \
        "$HERE/run-in-vm.sh" "$HERE/kvm_fallback.sh" -- sh -c 'echo guest ran; exit 7' \
        >"$T/out" 2>"$T/err" && rc=0 || rc=$?
    echo "run took $((SECONDS - started)) s, status $rc"
    cat "$T/err"
}

run
[ "$rc" = 7 ] || fail "the command's status 7 did not come back (got $rc)"
grep -qx "guest ran" "$T/out" || fail "the guest's output is missing"
grep -q "KVM cannot run the guest (KVM internal error. Suberror: 1): emulation instead" "$T/err" ||
    fail "no line saying KVM failed and emulation was used"
[ "$(grep -c -- '-accel kvm' "$T/invocations")" = 1 ] || fail "KVM was not tried exactly once"
grep -q -- '-accel tcg' "$T/invocations" || fail "no emulated start"

: >"$T/invocations"
run
[ "$rc" = 7 ] || fail "second run: status $rc"
grep -q "KVM failed to run the guest earlier on this boot: emulation" "$T/err" ||
    fail "second run: the kept verdict was not used"
! grep -q -- '-accel kvm' "$T/invocations" || fail "second run tried KVM again"

: >"$T/invocations"
VM_ACCEL=kvm PATH="$T/bin:$PATH" VM_CACHE="$T/cache" VM_KVM_DEVICE="$T/kvm" \
    "$HERE/run-in-vm.sh" "$HERE/kvm_fallback.sh" -- true >/dev/null 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 125 ] || fail "VM_ACCEL=kvm on a failing KVM should end with 125, got $rc"
echo "PASS: KVM failure noticed, emulation used and remembered; VM_ACCEL=kvm refuses to fall back"
