#!/usr/bin/env bash
# Debian's fio links librbd, librados, libgfapi, libibverbs, librdmacm,
# libnbd and libpmem*, whose closure (ceph, ICU, krb5, ...) is ~80 MB.  In an
# uncompressed initramfs that costs ~4 s of kernel unpacking per TCG boot.
# The engines using them are never used by the VM tests, so this builds tiny
# stand-ins with the same SONAMEs, symbol versions and function names (each
# aborts if called), checks on the host that fio runs a verify job against
# them, and prints the directory holding them.  Prints nothing (exit 0) when
# it cannot (no C compiler, fio changed shape): the caller then copies the
# real libraries.  VDUSE_VM_FULL_FIO=1 disables the stubs.
#
# Usage: fio-stubs.sh CACHE_DIR
set -euo pipefail

cache=${1:?usage: fio-stubs.sh CACHE_DIR}
fio=/usr/bin/fio
# fio's own dependencies that are small and actually used stay real.
KEEP_RE='^(libc|libm|libz|libaio|libnuma|libpthread|libdl|librt)\.so'

[[ ${VDUSE_VM_FULL_FIO:-0} == 1 ]] && exit 0
note() { echo "fio-stubs: $*; using fio's real libraries" >&2; }
for tool in cc nm objdump readelf; do
    command -v "$tool" >/dev/null || { note "no $tool"; exit 0; }
done

# Stubs are specific to the fio binary they were made for.
key=$(sha256sum "$fio" | cut -c1-16)
out=$cache/fio-stubs/$key
if [[ -f $out/.ok ]]; then
    echo "$out"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fio-stubs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib"

# name -> version (or "Base") of every function fio imports.
objdump -T "$fio" | awk '$0 ~ /\*UND\*/ && $0 ~ / DF / { print $NF, $(NF-1) }' >"$work/imports"

mapfile -t needed < <(readelf -d "$fio" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
stubbed=()
for soname in "${needed[@]}"; do
    [[ $soname =~ $KEEP_RE ]] && continue
    real=$(ldd "$fio" | awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 }')
    [[ -n $real && -r $real ]] || { note "cannot locate $soname"; exit 0; }
    nm -D --defined-only "$real" | awk '{ sub(/@.*/, "", $NF); print $NF }' | sort -u >"$work/defined"
    # Imports this library provides, as "name version".
    awk 'NR == FNR { def[$1] = 1; next } ($1 in def)' "$work/defined" "$work/imports" >"$work/syms"
    {
        echo '#include <stdio.h>'
        echo '#include <stdlib.h>'
        printf 'static void die(const char *f) { fprintf(stderr, "%s is a VM-test stub: %%s called\\n", f); abort(); }\n' "$soname"
        awk '{ printf "void %s(void) { die(\"%s\"); }\n", $1, $1 }' "$work/syms"
    } >"$work/stub.c"
    # One version node per version fio requires from this library.
    awk '$2 != "Base" { v[$2] = v[$2] " " $1 ";" }
        END { for (k in v) printf "%s {\n  global:%s\n};\n", k, v[k] }' "$work/syms" >"$work/vers"
    vflag=()
    [[ -s $work/vers ]] && vflag=("-Wl,--version-script=$work/vers")
    if ! cc -shared -fPIC -O1 -o "$work/lib/$soname" -Wl,-soname,"$soname" "${vflag[@]}" "$work/stub.c" 2>"$work/cc.err"; then
        note "cc failed for $soname: $(head -n3 "$work/cc.err")"
        exit 0
    fi
    stubbed+=("$soname")
done
((${#stubbed[@]})) || { note "nothing to stub"; exit 0; }

# Prove the stubbed fio loads and does the kind of job the scenarios run.
# (in $work: fio drops verify state files into its working directory)
if ! (cd "$work" && LD_LIBRARY_PATH=$work/lib "$fio" --name=stubcheck --filename="$work/data" \
    --size=1M --rw=randwrite --bs=4k --iodepth=4 --ioengine=libaio --verify=crc32c \
    --do_verify=1 --verify_fatal=1 --verify_state_save=0 >"$work/fio.out" 2>&1); then
    note "stubbed fio failed: $(tail -n3 "$work/fio.out")"
    exit 0
fi

mkdir -p "$cache/fio-stubs"
rm -rf "$out"
mkdir -p "$out"
cp "$work/lib/"* "$out/"
printf '%s\n' "${stubbed[@]}" >"$out/.ok"
echo "fio-stubs: stubbed ${stubbed[*]}" >&2
echo "$out"
