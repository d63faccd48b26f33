#!/usr/bin/env bash
# Stage Debian trixie's qemu-storage-daemon (the VDUSE reference peer) for the
# bench VM, without touching the host's apt sources: apt runs against the same
# private state fetch-kernel.sh uses (<cache>/apt, suite swapped to trixie).
#
# The trixie binary needs trixie's glibc (newer than the host's bookworm one,
# whose libraries the initramfs already holds for fio), so it goes in with its
# own library closure under /opt/trixie and is started through trixie's
# dynamic loader by a wrapper, /usr/bin/qemu-storage-daemon.
#
# Usage: trixie-tools.sh STAGE_DIR     (STAGE_DIR: an --extra dir for run.sh)
# Cache: ${VDUSE_VM_CACHE:-<repo>/.cache/vm}/trixie-tools
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/private-apt.sh
. "$repo/scripts/vm/private-apt.sh"
cache=${VDUSE_VM_CACHE:-$repo/.cache/vm}
suite=trixie
stage=${1:?usage: trixie-tools.sh STAGE_DIR}
# The export type lives in qemu-utils' qemu-storage-daemon.
ROOT_PKGS=(qemu-utils)
BINARIES=(usr/bin/qemu-storage-daemon)

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

root=$tools/root
if [[ ! -f $tools/.ok ]]; then
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
    echo "trixie-tools: downloading ${pkgs[*]}" >&2
    rm -f "$tools/debs/"*.deb
    (cd "$tools/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)
    rm -rf "$root"
    mkdir -p "$root"
    for d in "$tools/debs/"*.deb; do dpkg-deb -x "$d" "$root"; done
    printf '%s\n' "${pkgs[@]}" >"$tools/.ok"
fi

libdir=$root/usr/lib/x86_64-linux-gnu
ldso=$libdir/ld-linux-x86-64.so.2
[[ -x $ldso ]] || { echo "trixie-tools: no trixie loader at $ldso" >&2; exit 1; }

# --- stage: /opt/trixie/{bin,lib} + wrappers -------------------------------------
mkdir -p "$stage/opt/trixie/bin" "$stage/opt/trixie/lib" "$stage/usr/bin"
cp -L "$ldso" "$stage/opt/trixie/lib/ld-linux-x86-64.so.2"
for b in "${BINARIES[@]}"; do
    name=${b##*/}
    cp -L "$root/$b" "$stage/opt/trixie/bin/$name"
    # trixie's loader resolves the closure on the host (the host's ldd would
    # use bookworm's glibc, which is too old for these binaries).
    while read -r line; do
        case "$line" in
            *'=> not found'*) echo "trixie-tools: $name: $line" >&2; exit 1 ;;
            *"=> $root/"*) lib=${line#*=> }; lib=${lib%% (*} ;;
            *) continue ;;
        esac
        cp -L "$lib" "$stage/opt/trixie/lib/${lib##*/}"
    done < <("$ldso" --list --library-path "$libdir" "$root/$b")
    cat >"$stage/usr/bin/$name" <<EOF
#!/bin/sh
# Debian trixie's $name with its own glibc (see scripts/bench/trixie-tools.sh).
exec /opt/trixie/lib/ld-linux-x86-64.so.2 --library-path /opt/trixie/lib /opt/trixie/bin/$name "\$@"
EOF
    chmod 0755 "$stage/usr/bin/$name"
done
version=$("$ldso" --library-path "$libdir" "$root/usr/bin/qemu-storage-daemon" --version | head -n1)
echo "$version" >"$stage/opt/trixie/VERSION"
echo "trixie-tools: staged $version ($(du -sh "$stage/opt/trixie" | cut -f1))" >&2
