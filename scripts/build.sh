#!/usr/bin/env bash
# Publishes the static Native AOT binaries: artifacts/vduse-blk and the test driver artifacts/vhost-hostile.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out="$repo/artifacts"
mkdir -p "$out"
# publish PROJECT NAME: dotnet publish of PROJECT to artifacts/NAME, checked to be statically linked.
# The linker warns that getpwnam/dlopen in a static glibc binary need glibc at run time; those runtime
# paths are never taken by either binary, so the warnings are filtered to keep real problems visible.
publish() {
  local project=$1 name=$2 dir="$out/publish-$2" log="$out/publish-$2.log"
  rm -rf "$dir"
  if ! dotnet publish "$project" -c Release -o "$dir" -nologo -v quiet >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: dotnet publish of $project failed" >&2
    exit 1
  fi
  grep -v -E "statically linked applications requires at runtime|in function .SystemNative_|/src/native/libs/System.Native/pal_" "$log" || true
  cp "$dir/$name" "$out/$name"
  if ! file "$out/$name" | grep -q "statically linked"; then
    echo "build.sh: artifacts/$name is not statically linked: $(file -b "$out/$name")" >&2
    exit 1
  fi
  echo "built $out/$name ($(stat -c %s "$out/$name") bytes, static)"
}
publish src/VduseAot/VduseAot.csproj vduse-blk
# The hostile vhost-vdpa driver the VM scenario 96-vhost-hostile runs against the daemon.
publish tests/VduseAot.HostileDriver/VduseAot.HostileDriver.csproj vhost-hostile
