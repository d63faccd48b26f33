#!/usr/bin/env bash
# Try vduse-blk in one command: build the static binary, boot a VDUSE-capable kernel under QEMU, serve a
# RAM disk, format and mount it, run a short fio job and print its result. Installs what it needs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
need=()
command -v file >/dev/null || need+=(file)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
scripts/build.sh
exec scripts/vm/run.sh --binary artifacts/vduse-blk --scenarios try "$@"
