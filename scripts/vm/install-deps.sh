#!/usr/bin/env bash
# Install the host packages the VM test harness needs (Debian bookworm).
# Idempotent: returns at once when everything is already installed.
set -euo pipefail

# qemu-system-x86: the VM (TCG; the host /dev/kvm cannot run a stock kernel).
# busybox-static: guest userland.  fio, e2fsprogs, util-linux, mount: real
# tools copied into the guest.  cpio: initramfs.  xz-utils: the trixie
# modules are .ko.xz.  kmod: modinfo for the insmod order.  file: ELF checks.
# gcc, binutils: fio-stubs.sh builds stand-ins for fio's 80 MB of ceph/gluster
# libraries (4 s less initramfs unpacking per boot); optional but expected.  curl: the guest
# scrapes the metrics endpoint with it.
PACKAGES=(qemu-system-x86 busybox-static fio e2fsprogs util-linux mount cpio xz-utils kmod file
    gcc binutils curl)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

if ((EUID != 0)); then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive

# Another apt/dpkg may be running (unattended jobs, a parallel setup step).
# DPkg::Lock::Timeout covers the dpkg frontend lock; the lists lock taken by
# 'update' is not covered on bookworm's apt, so retry on lock errors.
apt_locked_retry() {
    local deadline=$((SECONDS + 900)) out rc
    while :; do
        rc=0
        out=$("$@" 2>&1) || rc=$?
        printf '%s\n' "$out" >&2
        if ((rc == 0)); then return 0; fi
        if grep -qiE 'could not get lock|unable to lock|is another process using it' <<<"$out" &&
            ((SECONDS < deadline)); then
            echo "install-deps: apt is locked by another process; waiting" >&2
            sleep 5
            continue
        fi
        return "$rc"
    done
}

apt_opts=(-o DPkg::Lock::Timeout=600 -y -q)
apt_locked_retry apt-get "${apt_opts[@]}" update
apt_locked_retry apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
