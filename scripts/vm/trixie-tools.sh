#!/usr/bin/env bash
# Stage Debian trixie tools for the test VM (an --extra dir for run.sh): the
# NBD servers and client the scenarios use, and the bench's VDUSE reference
# peer (qemu-storage-daemon).  The host's apt sources are never touched: apt
# runs against the same private state fetch-kernel.sh uses (<cache>/apt, suite
# swapped to trixie).
#
# Trixie binaries need trixie's glibc (newer than the host's bookworm one,
# whose libraries the initramfs already holds for fio), so they go in with
# their own library closure under /opt/trixie/lib.  An executable goes to
# /opt/trixie/bin and is started through trixie's dynamic loader by a wrapper
# at its Debian path (e.g. /usr/sbin/nbd-client); a shared object (nbdkit plugins
# and filters, which nbdkit looks for at its compiled-in path) or a data file
# under usr/share (QEMU's firmware) goes to its Debian path as it is.  The
# loader's --library-path also serves dlopen.
#
# Usage: trixie-tools.sh STAGE_DIR [PATH...]
#   PATH: a file of ROOT_PKGS relative to / (default: DEFAULT_PATHS)
#   Does nothing when STAGE_DIR already holds the same PATHs of the same packages.
# Cache: ${VDUSE_VM_CACHE:-<repo>/.cache/vm}/trixie-tools
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=private-apt.sh
. "$here/private-apt.sh"
cache=${VDUSE_VM_CACHE:-$repo/.cache/vm}
suite=trixie
stage=${1:?usage: trixie-tools.sh STAGE_DIR [PATH...]}
shift
# Every package a caller may take files from, downloaded (with their closure)
# once: qemu-utils has qemu-nbd, qemu-img, qemu-io and qemu-storage-daemon;
# libblkio1 is the library behind QEMU's virtio-blk-vhost-vdpa driver; qemu-system-x86 boots the
# nested VM of 97-vhost-nested-vm from a vhost-vdpa disk (run.sh stages it apart, see there).
ROOT_PKGS=(qemu-utils nbdkit nbd-client libblkio1 qemu-system-x86)
# Packages taken without their dependencies: qemu-block-extra holds the blkio
# block module, but its closure (Ceph, Gluster, iSCSI, NFS) is ~100 MB that
# nothing here loads; the module itself needs only libblkio and qemu-utils' own.
NODEP_PKGS=(qemu-block-extra)
nbdkit_lib=usr/lib/x86_64-linux-gnu/nbdkit
# What the scenarios use (lib.sh's start_nbdkit, start_qemu_nbd, nbd_attach; 82-takeover-timing's
# qemu-storage-daemon).
DEFAULT_PATHS=(
    usr/bin/qemu-nbd usr/bin/qemu-img usr/bin/qemu-io usr/bin/nbdkit usr/sbin/nbd-client usr/bin/qemu-storage-daemon
    usr/lib/x86_64-linux-gnu/qemu/block-blkio.so
    "$nbdkit_lib"/plugins/nbdkit-{file,memory}-plugin.so
    "$nbdkit_lib"/filters/nbdkit-{error,delay,pause,multi-conn,blocksize-policy}-filter.so
)
paths=("$@")
((${#paths[@]})) || paths=("${DEFAULT_PATHS[@]}")

for tool in apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "trixie-tools: missing $tool" >&2; exit 1; }
done

mkdir -p "$cache"
exec 9>"$cache/.fetch.lock" # shared with fetch-kernel.sh: same apt state
flock 9

aptdir=$cache/apt
tools=$cache/trixie-tools
host_sources=/etc/apt/sources.list.d/debian.sources
mkdir -p "$tools/debs"
private_apt_setup "$aptdir" "$suite" "$host_sources" trixie-tools

# --- download and unpack (once per ROOT_PKGS) -------------------------------------
root=$tools/root
if [[ ! -f $tools/.ok || $(head -n1 "$tools/.ok") != "roots: ${ROOT_PKGS[*]} nodeps: ${NODEP_PKGS[*]}" ]]; then
    # fetch-kernel.sh may have left the lists empty (apt cleans them): refresh
    # unless a Packages index is there.
    if ! compgen -G "$aptdir/lists/*_dists_${suite}_*Packages*" >/dev/null; then
        echo "trixie-tools: apt-get update ($suite, private state in $aptdir)" >&2
        apt-get "${apt_opts[@]}" update >&2
    fi
    # Dependency closure with an empty dpkg status: every library comes from
    # trixie, nothing from the host.
    mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends \
        --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "${ROOT_PKGS[@]}" |
        grep -v -e '^ ' -e '^<' | sort -u)
    ((${#pkgs[@]})) || { echo "trixie-tools: cannot resolve ${ROOT_PKGS[*]} in $suite" >&2; exit 1; }
    pkgs+=("${NODEP_PKGS[@]}")
    echo "trixie-tools: downloading ${pkgs[*]}" >&2
    rm -f "$tools/debs/"*.deb "$tools/.ok"
    (cd "$tools/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)
    rm -rf "$root"
    mkdir -p "$root"
    for d in "$tools/debs/"*.deb; do dpkg-deb -x "$d" "$root"; done
    # The first line keys the cache; the rest says what was unpacked.
    {
        echo "roots: ${ROOT_PKGS[*]} nodeps: ${NODEP_PKGS[*]}"
        for p in "${ROOT_PKGS[@]}"; do
            debs=("$tools/debs/${p}_"*.deb)
            echo "$p $(dpkg-deb -f "${debs[0]}" Version)"
        done
        printf '%s\n' "${pkgs[@]}"
    } >"$tools/.ok.tmp"
    mv "$tools/.ok.tmp" "$tools/.ok"
fi

libdir=$root/usr/lib/x86_64-linux-gnu
ldso=$libdir/ld-linux-x86-64.so.2
[[ -x $ldso ]] || { echo "trixie-tools: no trixie loader at $ldso" >&2; exit 1; }

# --- stage: /opt/trixie/{bin,lib}, wrappers, shared objects ------------------------
# The stamp says which packages and paths the stage holds; it is written last.
stamp=$stage/opt/trixie/.staged
want=$(head -n1 "$tools/.ok"; sed -n "2,$((${#ROOT_PKGS[@]} + 1))p" "$tools/.ok"; printf '%s\n' "${paths[@]}")
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    exit 0
fi
# Only what an earlier staging put there goes (STAGE_DIR may hold other files).
if [[ -f $stamp ]]; then
    while IFS= read -r p; do
        if [[ $p == */* && $p != *..* ]]; then rm -f "$stage/$p"; fi
    done <"$stamp"
fi
rm -rf "$stage/opt/trixie"
mkdir -p "$stage/opt/trixie/bin" "$stage/opt/trixie/lib"
cp -L "$ldso" "$stage/opt/trixie/lib/ld-linux-x86-64.so.2"
version=""
for p in "${paths[@]}"; do
    [[ -f $root/$p ]] || { echo "trixie-tools: $p is in none of ${ROOT_PKGS[*]}" >&2; exit 1; }
    name=${p##*/}
    mkdir -p "$stage/${p%/*}"
    if [[ $name == *.so ]]; then
        cp -L "$root/$p" "$stage/$p"
    elif [[ $p == usr/share/* ]]; then
        cp -L "$root/$p" "$stage/$p"
        continue
    else
        cp -L "$root/$p" "$stage/opt/trixie/bin/$name"
        cat >"$stage/$p" <<EOF
#!/bin/sh
# Debian trixie's $name with its own glibc (see scripts/vm/trixie-tools.sh).
exec /opt/trixie/lib/ld-linux-x86-64.so.2 --library-path /opt/trixie/lib /opt/trixie/bin/$name "\$@"
EOF
        chmod 0755 "$stage/$p"
        # The bench reports its peer's version from VERSION (bench-vm.sh).
        if [[ -z $version ]]; then
            version=$("$ldso" --library-path "$libdir" "$root/$p" --version 2>&1 | head -n1)
            version=${version//"$root/$p"/$name} # some print their argv[0]
        fi
    fi
    # trixie's loader resolves the closure on the host (the host's ldd would
    # use bookworm's glibc, which is too old for these binaries).
    while read -r line; do
        case "$line" in
            *'=> not found'*) echo "trixie-tools: $name: $line" >&2; exit 1 ;;
            *"=> $root/"*) lib=${line#*=> }; lib=${lib%% (*} ;;
            *) continue ;;
        esac
        cp -L "$lib" "$stage/opt/trixie/lib/${lib##*/}"
    done < <("$ldso" --list --library-path "$libdir" "$root/$p")
done
echo "$version" >"$stage/opt/trixie/VERSION"
echo "$want" >"$stamp"
echo "trixie-tools: staged ${paths[*]##*/} ($(du -sh "$stage" | cut -f1))" >&2
