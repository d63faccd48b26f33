#!/usr/bin/env bash
# Build the test VM's initramfs: an UNCOMPRESSED newc cpio (TCG unpacks it
# much faster than a compressed one) holding busybox, the real fio/e2fsprogs/
# util-linux tools with their shared libraries, the kernel modules from
# fetch-kernel.sh, the vduse-blk binary (and vhost-hostile beside it), the guest
# init and the scenarios.
#
# Usage: build-initramfs.sh --binary PATH --out FILE [--extra DIR]...
#   --extra DIR  copied over the root last (extra tools, data, scenarios); may
#                be repeated, later ones over earlier ones
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${VDUSE_VM_CACHE:-$repo/.cache/vm}

usage() { echo "usage: $0 --binary PATH --out FILE [--extra DIR]..." >&2; exit 2; }
binary="" out="" extras=()
while (($#)); do
    case "$1" in
        --binary) binary=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --extra) extras+=("${2:?}"); shift 2 ;;
        -h | --help) usage ;;
        *) echo "build-initramfs: unknown argument $1" >&2; usage ;;
    esac
done
[[ -n $binary && -n $out ]] || usage
[[ -f $binary && -x $binary ]] || { echo "build-initramfs: $binary is not an executable file" >&2; exit 1; }
for extra in "${extras[@]}"; do
    [[ -d $extra ]] || { echo "build-initramfs: --extra $extra is not a directory" >&2; exit 1; }
done
[[ -s $cache/modules.order ]] || { echo "build-initramfs: no modules in $cache (run fetch-kernel.sh)" >&2; exit 1; }

busybox=$(command -v busybox || true)
if [[ -z $busybox ]] || ! file -L "$busybox" | grep -q 'statically linked'; then
    echo "build-initramfs: need a static busybox (apt-get install busybox-static)" >&2
    exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/vm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib/modules-vm,etc,dev,proc,sys,tmp,run,mnt,root,scenarios}

# --- busybox: applet links in /bin and /sbin only; /usr is for real tools ----
cp "$busybox" "$stage/bin/busybox"
while IFS= read -r applet; do
    name=${applet##*/}
    case "$applet" in
        sbin/* | usr/sbin/*) dir=sbin ;;
        *) dir=bin ;;
    esac
    [[ $name == busybox || -e $stage/$dir/$name ]] || ln -s /bin/busybox "$stage/$dir/$name"
done < <("$busybox" --list-full)

# --- shared-library closure ----------------------------------------------------
# Copy each library ldd reports (and the ELF interpreter) to the same path.
# With a stub dir (see fio-stubs.sh), libraries found there go to the system
# library dir under their SONAME instead.
libdir=$(dirname "$(ldd /usr/bin/fio | awk '$1 == "libc.so.6" { print $3 }')")
copy_libs() { # binary [stub-dir]
    local bin=$1 stubs=${2:-} line lib dst
    # A static binary makes ldd fail with "not a dynamic executable".
    if ! ldd "$bin" >/dev/null 2>&1; then
        return 0
    fi
    while read -r line; do # read strips ldd's leading tab
        lib=""
        case "$line" in
            *'=> not found'*) echo "build-initramfs: $bin: $line" >&2; return 1 ;;
            *'=> /'*) lib=${line#*=> }; lib=${lib%% (*} ;;
            /*) lib=${line%% (*} ;; # the interpreter, e.g. /lib64/ld-linux-x86-64.so.2
        esac
        lib=$(echo "$lib" | tr -d '[:space:]')
        [[ -n $lib ]] || continue
        dst=$lib
        [[ -n $stubs && $lib == "$stubs"/* ]] && dst=$libdir/${lib##*/}
        [[ -e $stage$dst ]] && continue
        mkdir -p "$stage$(dirname "$dst")"
        cp -L "$lib" "$stage$dst"
    done < <(LD_LIBRARY_PATH=$stubs ldd "$bin")
}

# Real tools (busybox's versions are incomplete; scenarios call these by full
# path because busybox sh prefers its own applets for bare names).
add_tool() { # host-path guest-path [stub-dir]
    local src=$1 dst=$2
    [[ -x $src ]] || { echo "build-initramfs: missing $src (run install-deps.sh)" >&2; return 1; }
    mkdir -p "$stage$(dirname "$dst")"
    cp -L "$src" "$stage$dst"
    copy_libs "$src" "${3:-}"
}
# fio's rbd/gluster/rdma/pmem libraries (~80 MB) are replaced by stubs when
# possible: that alone is ~4 s of initramfs unpacking per TCG boot.
fio_stubs=$("$here/fio-stubs.sh" "$cache")
add_tool /usr/bin/fio /usr/bin/fio "$fio_stubs"
add_tool /usr/sbin/mke2fs /usr/sbin/mke2fs
add_tool /usr/sbin/e2fsck /usr/sbin/e2fsck
add_tool /usr/sbin/losetup /usr/sbin/losetup
add_tool /usr/sbin/blockdev /usr/sbin/blockdev
add_tool /usr/sbin/blkdiscard /usr/sbin/blkdiscard
add_tool /usr/bin/curl /usr/bin/curl
ln -s mke2fs "$stage/usr/sbin/mkfs.ext4"
ln -s e2fsck "$stage/usr/sbin/fsck.ext4"
# iproute2's vdpa(8) helps debugging ("vdpa dev show"); optional.
if [[ -x /usr/sbin/vdpa ]]; then add_tool /usr/sbin/vdpa /usr/sbin/vdpa; fi
[[ -r /etc/mke2fs.conf ]] && cp /etc/mke2fs.conf "$stage/etc/mke2fs.conf"
# More host tools on request, at the same paths (the bench's profiler: VDUSE_VM_TOOLS=/usr/bin/perf).
for tool in ${VDUSE_VM_TOOLS:-}; do add_tool "$tool" "$tool"; done

# --- our binary, modules, init, scenarios -----------------------------------------
cp -L "$binary" "$stage/usr/bin/vduse-blk"
chmod 0755 "$stage/usr/bin/vduse-blk"
copy_libs "$binary"
# The hostile vhost-vdpa driver (scripts/build.sh publishes it beside vduse-blk) for 96-vhost-hostile,
# which fails naming it when it is not there.
hostile=$(dirname "$binary")/vhost-hostile
if [[ -x $hostile ]]; then
    install -m 0755 "$hostile" "$stage/usr/bin/vhost-hostile"
    copy_libs "$hostile"
fi

while IFS= read -r m; do
    cp "$cache/modules/$m" "$stage/lib/modules-vm/$m"
done <"$cache/modules.order"
cp "$cache/modules.order" "$stage/lib/modules-vm/modules.order"
[[ -s $cache/kernel.version ]] && cp "$cache/kernel.version" "$stage/lib/modules-vm/kernel.version"

install -m 0755 "$here/guest/init" "$stage/init"
for f in "$here"/scenarios/*; do
    [[ -f $f ]] && install -m 0755 "$f" "$stage/scenarios/${f##*/}"
done

ln -s /proc/mounts "$stage/etc/mtab"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

for extra in "${extras[@]}"; do
    cp -a "$extra/." "$stage/"
done

# --- archive -------------------------------------------------------------------------
# /dev/console must exist before /init runs or the kernel starts init without
# stdio.  Write those two entries as a tiny newc archive by hand (no mknod, no
# root needed); the kernel unpacks concatenated archives in order.
newc_entry() { # name mode(octal) rdev-major rdev-minor
    local name=$1 mode=$2 major=$3 minor=$4 hdr
    hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 $((8#$mode)) 0 0 1 0 0 0 0 "$major" "$minor" $((${#name} + 1)) 0)
    printf '%s%s\0' "$hdr" "$name"
    # header (110 bytes) + name + NUL is padded to a multiple of 4
    local pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
    head -c "$pad" /dev/zero
}
mkdir -p "$(dirname "$out")"
tmp_out=$out.tmp.$$
{
    newc_entry dev 040755 0 0
    newc_entry dev/console 020600 5 1
    newc_entry 'TRAILER!!!' 0 0 0
} >"$tmp_out"
truncate -s %512 "$tmp_out" # block-align like cpio does
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) >>"$tmp_out"
mv -f "$tmp_out" "$out"

echo "build-initramfs: $out ($(du -h "$out" | cut -f1), $(find "$stage" -mindepth 1 | wc -l) entries)" >&2
