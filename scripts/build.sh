#!/usr/bin/env bash
# Publishes the static Native AOT binary to artifacts/vduse-blk.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out="$repo/artifacts"
mkdir -p "$out"
# The linker warns that getpwnam/dlopen in a static glibc binary need glibc at run time; those runtime
# paths are never taken by vduse-blk, so the warnings are filtered to keep real problems visible.
rm -rf "$out/publish"
log="$out/publish.log"
if ! dotnet publish src/VduseAot/VduseAot.csproj -c Release -o "$out/publish" -nologo -v quiet >"$log" 2>&1; then
  cat "$log" >&2
  echo "build.sh: dotnet publish failed" >&2
  exit 1
fi
grep -v -E "statically linked applications requires at runtime|in function .SystemNative_|/src/native/libs/System.Native/pal_" "$log" || true
cp "$out/publish/vduse-blk" "$out/vduse-blk"
if ! file "$out/vduse-blk" | grep -q "statically linked"; then
  echo "build.sh: artifacts/vduse-blk is not statically linked: $(file -b "$out/vduse-blk")" >&2
  exit 1
fi
echo "built $out/vduse-blk ($(stat -c %s "$out/vduse-blk") bytes, static)"
