#!/usr/bin/env bash
# Benchmarks: the VM comparison with qemu-storage-daemon and the kernel loop
# device, or the micro benchmarks; usage() below says how (bench.sh --help).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# usage [STATUS]: the usage text; on stdout and exit 0 when asked for (--help), on stderr and exit 2
# (a usage error) otherwise.
usage() {
    local status=${1:-2}
    ((status == 0)) || exec >&2
    cat <<'EOF'
Usage:
  scripts/bench.sh vm [--set file|brd|nbd|nvme] [--runs N] [--runtime SEC] [--ramp SEC]
                      [--size MB] [--qsd-aio threads|io_uring] [--kernel-only] [--profile]
                      [--floor]
                      [--vduse-args "ARGS"] [--binary PATH | --build | --rev REV]
      One VM boot (QEMU TCG, see scripts/vm/README.md); the same fio jobs
      against the set's targets (three; two for nvme), interleaved per job,
      median of --runs (default 3).
      Prints a markdown table.
      --set file (default): vduse-blk --file, trixie's qemu-storage-daemon
                  --export type=vduse-blk and the kernel loop device, each
                  over a tmpfs file in the guest; writes
                  perf/results/vm-fio.{md,json,svg}
      --set brd   the O_DIRECT path: three brd RAM disks (one per target,
                  written once): vduse-blk --file /dev/ram0 --direct,
                  qemu-storage-daemon host_device cache.direct=on (aio
                  io_uring unless --qsd-aio says otherwise) and loop
                  --direct-io=on; writes perf/results/vm-fio-brd.{md,json,svg}
      --set nbd   one nbdkit (memory plugin) on 127.0.0.1 in the guest,
                  served by vduse-blk --nbd, qemu-storage-daemon
                  (--blockdev driver=nbd, --export type=vduse-blk) and the
                  kernel's NBD client (nbd-client -C QUEUES, /dev/nbd0);
                  writes perf/results/vm-fio-nbd.{md,json,svg}
      --set nvme  one nvmet target in the guest (the kernel's NVMe/TCP target,
                  a brd RAM disk namespace, 127.0.0.1:4420), served by
                  vduse-blk --nvme-tcp 127.0.0.1:4420 --nqn NQN and the
                  kernel's NVMe/TCP host (nr_io_queues=QUEUES, /dev/nvmeXn1);
                  writes perf/results/vm-fio-nvme.{md,json,svg}.  When
                  vduse-blk cannot serve it (it fails to start), the set runs
                  the kernel column alone and the report says why
      --kernel-only  nvme set: leave vduse-blk out on purpose
      --floor     file and brd sets: two more targets through the same VDUSE
                  path: vduse-blk --null (no I/O: reads are zeroes, writes
                  are dropped) and --ram, written once (one copy to and
                  from the daemon's own memory, the least a daemon that keeps
                  the bytes does);
                  the report says which targets lie above what they reach
      --runtime   fio seconds per run (default 5; TCG is slow) + --ramp (1)
      --size      image size in MiB per target (default 256)
      --qsd-aio   the peer's AIO mode (file set: default threads, QEMU's
                  default; brd set: default io_uring)
      --vduse-args extra `vduse-blk serve` options (e.g. "--poll-us 50")
      --binary    vduse-blk to test (default artifacts/vduse-blk; built
                  with scripts/build.sh when missing, or always with --build)
      --rev       build git revision REV in a temporary copy (git archive)
                  and test that: a known commit, untouched by work in progress
  scripts/bench.sh micro [ARGS]
      BenchmarkDotNet micro benchmarks (scripts/bench-micro.sh).

VM cache: ${VDUSE_VM_CACHE:-<repo>/.cache/vm} (one VM per cache at a time).
EOF
    exit "$status"
}

# The fio jobs: name rw bs iodepth numjobs queues (queue count of every
# device the job runs on; the VM gets at least that many vCPUs so
# virtio_blk uses them all).  Reported in this order.
JOBS='
randread-4k-qd1      randread  4k   1  1 1
randread-4k-qd16     randread  4k   16 1 1
randwrite-4k-qd16    randwrite 4k   16 1 1
randread-4k-qd16-nj2 randread  4k   16 2 2
read-128k-qd4        read      128k 4  1 1
write-128k-qd4       write     128k 4  1 1
'

bench_vm() {
    local set=file runs=3 runtime=5 ramp=1 size=256 qsd_aio="" binary="" build=0 rev="" vduse_args=""
    local kernel_only=0 profile=0 floor=0
    while (($#)); do
        case "$1" in
            --set) set=${2:?}; shift 2 ;;
            --runs) runs=${2:?}; shift 2 ;;
            --runtime) runtime=${2:?}; shift 2 ;;
            --ramp) ramp=${2:?}; shift 2 ;;
            --size) size=${2:?}; shift 2 ;;
            --qsd-aio) qsd_aio=${2:?}; shift 2 ;;
            --vduse-args) vduse_args=$2; shift 2 ;;
            --kernel-only) kernel_only=1; shift ;;
            --profile) profile=1; shift ;;
            --floor) floor=1; shift ;;
            --binary) binary=${2:?}; shift 2 ;;
            --build) build=1; shift ;;
            --rev) rev=${2:?}; shift 2 ;;
            -h | --help) usage 0 ;;
            *) echo "bench.sh vm: unknown argument $1" >&2; usage ;;
        esac
    done
    for n in "$runs" "$runtime" "$size"; do
        [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: '$n' is not a positive number" >&2; exit 2; }
    done
    [[ $ramp =~ ^[0-9]+$ ]] || { echo "bench.sh: bad --ramp '$ramp'" >&2; exit 2; }
    [[ $set == file || $set == brd || $set == nbd || $set == nvme ]] || { echo "bench.sh: --set file|brd|nbd|nvme" >&2; exit 2; }
    [[ -z $qsd_aio || $set == file || $set == brd ]] || { echo "bench.sh: --qsd-aio is for the file and brd sets only" >&2; exit 2; }
    if [[ -z $qsd_aio ]]; then
        qsd_aio=threads
        [[ $set != brd ]] || qsd_aio=io_uring
    fi
    [[ $qsd_aio == threads || $qsd_aio == io_uring ]] || { echo "bench.sh: --qsd-aio threads|io_uring" >&2; exit 2; }
    [[ $set == nvme || $kernel_only == 0 ]] || { echo "bench.sh: --kernel-only is for the nvme set only" >&2; exit 2; }
    [[ $floor == 0 || $set == file || $set == brd ]] || { echo "bench.sh: --floor is for the file and brd sets only" >&2; exit 2; }

    local profile_jobs=""
    if ((profile)); then
        [[ -x /usr/bin/perf ]] || { echo "bench.sh: --profile needs /usr/bin/perf on the host (apt-get install linux-perf)" >&2; exit 1; }
        profile_jobs="randread-4k-qd16 read-128k-qd4 write-128k-qd4"
        export VDUSE_VM_TOOLS=/usr/bin/perf
    fi

    local start=$SECONDS
    export VDUSE_VM_CACHE=${VDUSE_VM_CACHE:-$repo/.cache/vm}
    local cache=$VDUSE_VM_CACHE

    # --- what it needs: host tools, kernel, our binary, the peer -------------------
    command -v python3 >/dev/null || { echo "bench.sh: python3 is needed for the report" >&2; exit 1; }
    "$repo/scripts/vm/install-deps.sh"
    "$repo/scripts/vm/fetch-kernel.sh"
    local tmp described
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-vm.XXXXXX")
    # shellcheck disable=SC2064 # expand now
    trap "rm -rf '$tmp'" EXIT
    if [[ -n $rev ]]; then
        local sha
        sha=$(git -C "$repo" rev-parse --verify "$rev^{commit}") || { echo "bench.sh: bad --rev $rev" >&2; exit 2; }
        echo "bench.sh: building $rev ($sha) in $tmp/src" >&2
        mkdir -p "$tmp/src"
        git -C "$repo" archive "$sha" | tar -x -C "$tmp/src"
        "$tmp/src/scripts/build.sh"
        binary=$tmp/src/artifacts/vduse-blk
        described="built from git $rev = $(git -C "$repo" describe --always "$sha")"
    elif [[ -z $binary ]]; then
        binary=$repo/artifacts/vduse-blk
        if ((build)) || [[ ! -x $binary ]]; then
            "$repo/scripts/build.sh"
            described="built by scripts/build.sh from the work tree at $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')"
        else
            described="artifacts/vduse-blk as found (work tree at $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?'))"
        fi
    else
        described=$binary
    fi
    [[ -x $binary ]] || { echo "bench.sh: $binary is not executable" >&2; exit 1; }
    binary=$(realpath "$binary")
    local stage=$tmp/extra
    mkdir -p "$stage"
    # The peer (the nvme set has none: QEMU has no NVMe/TCP client); run.sh adds the NBD tools
    # (trixie-tools.sh's default set) itself.  The guest needs vdpa(8) to attach the peer's
    # device; build-initramfs.sh copies the host's.  bookworm's iproute2 has it.
    if [[ $set != nvme ]]; then
        [[ -x /usr/sbin/vdpa ]] || { echo "bench.sh: /usr/sbin/vdpa missing (apt-get install iproute2)" >&2; exit 1; }
        "$repo/scripts/vm/trixie-tools.sh" "$stage" usr/bin/qemu-storage-daemon
    fi
    mkdir -p "$stage/bench" "$stage/scenarios"
    install -m 0755 "$repo/scripts/bench/guest/scenarios/bench-vm.sh" "$stage/scenarios/bench-vm.sh"
    cat >"$stage/bench/config" <<EOF
SET=$set
RUNS=$runs
RUNTIME=$runtime
RAMP=$ramp
SIZE_MB=$size
QUEUE_SIZE=256
QSD_AIO=$qsd_aio
VDUSE_ARGS='$vduse_args'
SKIP_VDUSE=$kernel_only
FLOOR=$floor
PROFILE_JOBS='$profile_jobs'
JOBS='$JOBS'
EOF

    # vCPUs: at least the largest queue count (virtio_blk uses min(queues, CPUs)).
    local smp maxq ntargets=3 nruns per_run vm_timeout
    maxq=$(awk 'NF >= 6 && $6 > m { m = $6 } END { print m + 0 }' <<<"$JOBS")
    smp=$((maxq > 2 ? maxq : 2))
    [[ $set != nvme ]] || ntargets=$((2 - kernel_only))
    ntargets=$((ntargets + 2 * floor))
    nruns=$(($(awk 'NF >= 6' <<<"$JOBS" | wc -l) * ntargets * runs + $(wc -w <<<"$profile_jobs") * ntargets))
    per_run=$((runtime + ramp + 15)) # fio start-up under TCG is slow
    vm_timeout=$((nruns * per_run + 900))
    local mem=$((1024 + (3 + floor) * size + 512))

    echo "bench.sh: $nruns fio runs of ${runtime}+${ramp} s; binary $binary; cache $cache" >&2
    # The console is long; the result blob (B64: lines) is only noise here.
    local rc load_before load_after
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    set +e
    "$repo/scripts/vm/run.sh" --binary "$binary" --extra "$stage" --scenarios bench-vm \
        --smp "$smp" --mem "$mem" --timeout "$vm_timeout" --scenario-timeout "$vm_timeout" 2>&1 |
        grep --line-buffered -v '^B64:'
    rc=${PIPESTATUS[0]}
    set -e
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    if ((rc != 0)); then
        echo "bench.sh: the VM run failed (run.sh exit $rc); console: $cache/console.log" >&2
        exit 1
    fi

    mkdir -p "$repo/perf/results"
    local notes=()
    notes+=("Binary: $("$binary" --version 2>/dev/null | head -n1), $described (sha256 $(sha256sum "$binary" | cut -c1-12)).")
    notes+=("Host: $(nproc) CPUs, $(qemu-system-x86_64 --version | head -n1), single-threaded TCG; load average (1/5/15 min) before the VM $load_before, after $load_after: anything else running on the host shows up as noise.")
    echo
    # scripts/build.sh leaves the binary's symbols beside it, in the publish directory.
    local symbols=() dbg
    dbg=$(dirname "$binary")/publish-vduse-blk/vduse-blk.dbg
    [[ ! -f $dbg ]] || symbols=(--symbols "$dbg")
    python3 "$repo/scripts/bench/report.py" --set "$set" --console "$cache/console.log" --config "$stage/bench/config" \
        --out "$repo/perf/results" --wall "$((SECONDS - start))" "${symbols[@]}" "${notes[@]/#/--note=}"
    echo "bench.sh: vm bench done in $((SECONDS - start)) s wall" >&2
}

cmd=${1:-}
(($#)) && shift
case "$cmd" in
    vm) bench_vm "$@" ;;
    micro)
        if [[ -x $repo/scripts/bench-micro.sh ]]; then
            exec "$repo/scripts/bench-micro.sh" "$@"
        elif [[ -f $repo/scripts/bench-micro.sh ]]; then
            exec bash "$repo/scripts/bench-micro.sh" "$@"
        fi
        echo "bench.sh micro: not available yet (scripts/bench-micro.sh does not exist)" >&2
        exit 1
        ;;
    -h | --help) usage 0 ;;
    "") usage ;;
    *) echo "bench.sh: unknown command '$cmd' (vm | micro)" >&2; usage ;;
esac
