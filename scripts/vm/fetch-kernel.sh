#!/usr/bin/env bash
# Fetch Debian trixie's cloud kernel (6.12, has VDUSE as modules) into the VM
# cache: vmlinuz, the needed modules as plain .ko, and modules.order (insmod
# order).  The host's apt sources are never touched: apt runs against private
# state under the cache, so host installs can never pick trixie packages.
#
# Usage: fetch-kernel.sh [--force]
# Cache: ${VDUSE_VM_CACHE:-<repo>/.cache/vm}
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=private-apt.sh
. "$here/private-apt.sh"
repo=$(cd "$here/../.." && pwd)
cache=${VDUSE_VM_CACHE:-$repo/.cache/vm}
suite=trixie
metapkg=linux-image-cloud-amd64

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

# Modules the harness needs, in the order we would like them when the
# dependency graph leaves a choice.  VDUSE stack first, then virtio_blk that
# binds the vDPA device, then loop/brd/nbd for later scenarios, then the
# kernel's NVMe/TCP target (nvmet, nvmet_tcp; nvmet pulls in configfs) and
# host (nvme_fabrics, nvme_tcp) for the NVMe/TCP scenarios.  Dependencies
# that are modules are added by visit() below; trixie builds nvme_core,
# nvme_keyring and nvme_auth in, which visit() reports and accepts.  Last
# vhost_vdpa (and vhost), which binds vDPA devices for userspace drivers
# instead of virtio_vdpa.
WANTED=(vhost_iotlb vdpa vduse virtio_vdpa virtio_blk loop brd nbd
    nvmet nvmet_tcp nvme_fabrics nvme_tcp nvme_core nvme_keyring nvme_auth
    vhost vhost_vdpa)

mkdir -p "$cache"
# Two runs sharing a cache must not extract over each other.
exec 9>"$cache/.fetch.lock"
flock 9

have_all() {
    [[ -s $cache/vmlinuz && -s $cache/modules.order && -s $cache/kernel.version ]] || return 1
    # A cache made for a shorter WANTED list is extracted again (the .deb is kept).
    grep -qxF "wanted=${WANTED[*]}" "$cache/kernel.version" || return 1
    local m
    while IFS= read -r m; do
        [[ -s $cache/modules/$m ]] || return 1
    done <"$cache/modules.order"
}

if ((force == 0)) && have_all; then
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb modinfo xz; do
    command -v "$tool" >/dev/null || {
        echo "fetch-kernel: missing $tool (run scripts/vm/install-deps.sh)" >&2
        exit 1
    }
done

# --- private apt state --------------------------------------------------------
aptdir=$cache/apt
host_sources=/etc/apt/sources.list.d/debian.sources
[[ -r $host_sources ]] || {
    echo "fetch-kernel: $host_sources not found; cannot derive a trixie source" >&2
    exit 1
}
mkdir -p "$cache/debs"
private_apt_setup "$aptdir" "$suite" "$host_sources" fetch-kernel

echo "fetch-kernel: apt-get update ($suite, private state in $aptdir)" >&2
apt-get "${apt_opts[@]}" update >&2

# The metapackage only depends on the versioned image package; resolve it.
pkg=$(apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "$metapkg" |
    sed -nE 's/^ *Depends: (linux-image-6\.12\.[^ ]*-cloud-amd64)$/\1/p' | head -n1)
[[ -n $pkg ]] || {
    echo "fetch-kernel: could not resolve $metapkg in $suite" >&2
    exit 1
}
version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$pkg" |
    sed -n 's/^Version: //p' | head -n1)
echo "fetch-kernel: $metapkg -> $pkg $version" >&2

deb=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
if [[ -z $deb ]]; then
    # Old images are useless once a newer one is resolved.
    find "$cache/debs" -maxdepth 1 -name 'linux-image-*.deb' -delete
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$pkg" >&2)
    deb=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
fi
[[ -n $deb ]] || { echo "fetch-kernel: download of $pkg failed" >&2; exit 1; }

# --- extract ----------------------------------------------------------------
work=$(mktemp -d "$cache/extract.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"

vmlinuz=$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
config=$(find "$work/root/boot" -maxdepth 1 -name 'config-*' | head -n1)
[[ -n $vmlinuz && -n $config ]] || { echo "fetch-kernel: no vmlinuz/config in $deb" >&2; exit 1; }
kver=${vmlinuz##*/vmlinuz-}
moddir=""
for d in "$work/root/usr/lib/modules/$kver" "$work/root/lib/modules/$kver"; do
    [[ -d $d ]] && moddir=$d && break
done
[[ -n $moddir ]] || { echo "fetch-kernel: no modules dir for $kver" >&2; exit 1; }

config_val() { sed -n "s/^$1=//p" "$config"; }

# ext4 (and what it needs) only has to be loaded if it is not built in.
wanted=("${WANTED[@]}")
ext4=$(config_val CONFIG_EXT4_FS)
case "$ext4" in
    y) ;;
    m) wanted+=(ext4) ;;
    *) echo "fetch-kernel: warning: CONFIG_EXT4_FS='$ext4'; ext4 scenarios will fail" >&2 ;;
esac

# Index every module file by its module name (file names may use '-').
declare -A modpath=()
while IFS= read -r -d '' f; do
    n=${f##*/}
    n=${n%.ko*}
    modpath[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*' -print0)

mkdir -p "$work/modules"
declare -A state=() # 1 = visiting, 2 = done
order=()
decompress() { # name -> $work/modules/<name>.ko
    local src=${modpath[$1]} dst=$work/modules/$1.ko
    case "$src" in
        *.ko.xz) xz -dc "$src" >"$dst" ;;
        *.ko.zst) zstd -qdc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *.ko) cp "$src" "$dst" ;;
        *) echo "fetch-kernel: unknown module format $src" >&2; return 1 ;;
    esac
}
# Depth-first: a module goes into the order after everything it depends on
# (modinfo 'depends=', plus 'softdep pre:' names that are real modules).
visit() {
    local n=$1 dep deps soft
    [[ ${state[$n]:-0} == 2 ]] && return 0
    [[ ${state[$n]:-0} == 1 ]] && { echo "fetch-kernel: dependency cycle at $n" >&2; return 1; }
    if [[ -z ${modpath[$n]:-} ]]; then
        # Built in (listed in modules.builtin) is fine; absent is not.
        if grep -qE "/${n//_/[-_]}\.ko\$" "$moddir/modules.builtin"; then
            echo "fetch-kernel: $n is built in" >&2
            state[$n]=2
            return 0
        fi
        echo "fetch-kernel: module $n not found in $pkg" >&2
        return 1
    fi
    state[$n]=1
    decompress "$n"
    deps=$(modinfo -F depends "$work/modules/$n.ko")
    soft=$(modinfo -F softdep "$work/modules/$n.ko" | sed -nE 's/.*pre:([^:]*)( post:.*)?$/\1/p')
    for dep in ${deps//,/ }; do visit "${dep//-/_}"; done
    for dep in $soft; do
        dep=${dep//-/_}
        if [[ -n ${modpath[$dep]:-} ]]; then
            visit "$dep"
        else
            echo "fetch-kernel: note: softdep $dep of $n is not a module file (built in or an alias)" >&2
        fi
    done
    state[$n]=2
    order+=("$n.ko")
}
for n in "${wanted[@]}"; do visit "$n"; done

# --- publish into the cache ----------------------------------------------------
rm -rf "$cache/modules"
mv "$work/modules" "$cache/modules"
# Keep only modules that made it into the order (built-ins were never copied).
printf '%s\n' "${order[@]}" >"$cache/modules.order"
cp "$vmlinuz" "$cache/vmlinuz"
cp "$config" "$cache/config"
{
    echo "package=$pkg"
    echo "version=$version"
    echo "kver=$kver"
    echo "ext4=$ext4"
    echo "wanted=${WANTED[*]}"
} >"$cache/kernel.version"

echo "fetch-kernel: $pkg $version ready in $cache (ext4=$ext4)" >&2
echo "fetch-kernel: module order: ${order[*]}" >&2
