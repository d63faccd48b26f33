#!/usr/bin/env bash
# All tests: installs what a fresh machine lacks, builds the static binary, runs the analyzers with
# warnings as errors, the unit tests, and the VDUSE scenarios inside a QEMU VM.
# Usage: scripts/test.sh [--no-vm]   (--no-vm is for quick local loops; CI always runs the VM)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
run_vm=1
[[ ${1:-} == --no-vm ]] && run_vm=0

# Host tools: gcc + kernel headers for the ABI test, file for the static-binary check, Debian's
# python3-prometheus-client (the real parser the metrics are checked with: the unit tests and the VM's
# scrape); the VM's own dependencies (qemu, busybox, fio, e2fsprogs) come from scripts/vm/install-deps.sh.
need=()
command -v cc >/dev/null || need+=(gcc)
[[ -f /usr/include/linux/vduse.h ]] || need+=(linux-libc-dev)
command -v file >/dev/null || need+=(file)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
scripts/vm/install-deps.sh

scripts/build.sh

# Analyzers (nullable, trim, AOT, CA rules) with warnings as errors across every project.
dotnet build VduseAot.sln -c Release -nologo -v quiet -warnaserror

passed=0 failed=0
log=$(mktemp)
set +e
dotnet test VduseAot.sln -c Release --no-build -nologo 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
set -e
# One summary line per test project; a project that ran nothing (or printed no summary) is a failure.
projects=$(git ls-files 'tests/*.Tests.csproj' | wc -l)
summaries=0
while read -r f p total name; do
  failed=$((failed + f)); passed=$((passed + p)); summaries=$((summaries + 1))
  if ((total == 0)); then
    echo "test.sh: $name ran no test" >&2
    failed=$((failed + 1))
  fi
done < <(sed -n -E 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +[0-9]+, +Total: +([0-9]+),.* - ([^ ]+) .*/\2 \3 \4 \5/p' "$log")
rm -f "$log"
if ((summaries != projects)); then
  echo "test.sh: $summaries of $projects test projects reported a result" >&2
  failed=$((failed + 1))
fi

vm_rc=0
if ((run_vm)); then
  vm_log=$(mktemp)
  set +e
  # 4 vCPUs so virtio_blk can use 4 hardware queues (it uses min(device queues, CPUs)).
  scripts/vm/run.sh --binary artifacts/vduse-blk --scenarios all --smp 4 2>&1 | tee "$vm_log"
  vm_rc=${PIPESTATUS[0]}
  set -e
  # Counted as run.sh counts them: the console may put kernel output before a marker on its line.
  vp=$(tr -d '\r' <"$vm_log" | grep -c '=== PASS ' || true)
  vf=$(tr -d '\r' <"$vm_log" | grep -c '=== FAIL ' || true)
  passed=$((passed + vp)); failed=$((failed + vf))
  # What 74-metrics scraped inside the VM, through the real parser here.
  if scripts/vm/parse-metrics.sh "$vm_log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  rm -f "$vm_log"
  ((vm_rc == 0)) || ((vf > 0)) || failed=$((failed + 1))
fi

echo "total: $passed passed, $failed failed"
((unit_rc == 0 && vm_rc == 0 && failed == 0))
