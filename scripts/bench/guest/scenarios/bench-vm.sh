#!/bin/sh
# Guest side of "scripts/bench.sh vm": the same fio jobs against each set's targets.
# SET=file (the default):
#   vduse  - vduse-blk --file (tmpfs image)
#   qsd    - trixie's qemu-storage-daemon --export type=vduse-blk (tmpfs image),
#            attached with iproute2's "vdpa dev add"
#   loop   - the kernel loop device over a tmpfs image (--direct-io=off)
# SET=brd: three brd RAM disks of SIZE_MB, each written once, one per target, all with O_DIRECT
#   vduse  - vduse-blk --file /dev/ram0 --direct (io_uring on the block device)
#   qsd    - qemu-storage-daemon --blockdev driver=host_device,filename=/dev/ram1,cache.direct=on
#   loop   - the kernel loop device over /dev/ram2 (--direct-io=on)
# FLOOR=1 (file and brd sets) adds two targets, the same VDUSE path with less behind it:
#   null   - vduse-blk --null: no I/O at all (reads are zeroes, writes are dropped): the most any
#            VDUSE daemon gets in this guest
#   ram    - vduse-blk --ram, written once: one copy between the bounce buffer and the daemon's own
#            memory, the least a daemon that keeps the bytes does (loop moves them once too, VDUSE
#            once more)
# SET=nbd: one nbdkit (memory plugin, SIZE_MB, filled once) on 127.0.0.1:10809 behind
#   vduse  - vduse-blk --nbd nbd://127.0.0.1:10809/ (one connection per queue)
#   qsd    - qemu-storage-daemon --blockdev driver=nbd (one connection)
#            --export type=vduse-blk, attached with "vdpa dev add"
#   nbd    - the kernel's NBD client: nbd-client -C QUEUES on /dev/nbd0
#            (one connection per hardware queue; scheduler none like the others)
# SET=nvme: one nvmet target (a SIZE_MB brd namespace, filled once) on 127.0.0.1:4420 behind
#   vduse  - vduse-blk --nvme-tcp 127.0.0.1:4420 --nqn NVME_NQN; probed first, and left out
#            (the reason in vduse-skip.txt) when it does not start, or with SKIP_VDUSE=1
#   nvme   - the kernel's NVMe/TCP host, nr_io_queues=QUEUES, on its subsystem's head disk
#            /dev/nvmeXn1 (its hidden path disk gets scheduler none)
# Targets run interleaved per job (run r starts at target r mod their count).  Results
# (fio JSON, daemon logs, CPU per run) leave the VM as a base64 tar.gz between
# "=== BENCH DATA BEGIN/END" on the console; the host parses them.
# Settings come from /bench/config (written by bench.sh). The scenario library (log, fail,
# start_daemon, stop_daemon, poll_until) comes with the VM's scenarios.
set -eu
# shellcheck source-path=SCRIPTDIR source=../../../vm/scenarios/lib.sh
. /scenarios/lib.sh

SET=file RUNS=3 RUNTIME=5 RAMP=1 SIZE_MB=256 QUEUE_SIZE=256 QSD_AIO=threads VDUSE_ARGS="" JOBS="" SKIP_VDUSE=0 PROFILE_JOBS="" FLOOR=0
# shellcheck disable=SC1091
. /bench/config

FIO=/usr/bin/fio
PERF=/usr/bin/perf
LOSETUP=/usr/sbin/losetup
VDPA=/usr/sbin/vdpa
QSD=/usr/bin/qemu-storage-daemon
dir=/tmp/bench
out=$dir/out
NBD_PORT=10809
NBD_URI=nbd://127.0.0.1:$NBD_PORT/
NVME_PORT=4420
NVME_NQN=nqn.2024-01.io.vduse-aot:bench
rm -rf "$dir"
mkdir -p "$out"

up() { cut -d' ' -f1 /proc/uptime; }
# CPU ticks (utime+stime, USER_HZ) of a process.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Completed I/Os (reads + writes) of a block device.
dev_ios() { awk '{ print $1 + $5 }' "/sys/block/${1#/dev/}/stat"; }
# Busy CPU ticks of the whole guest (user, nice, system, irq, softirq, steal: all but idle and iowait).
guest_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# threads_cpu WHAT PID: one line per thread of PID (name, CPU ticks in user space and in the kernel)
# to threads.txt.
threads_cpu() {
    for _task in /proc/"$2"/task/*; do
        # comm may hold spaces: the fields after its closing parenthesis.
        awk -v w="$1" -v ph="$PHASE" -v q="$QUEUES" '{
            s = $0; i = index(s, "("); j = 0
            for (k = length(s); k > 0; k--) if (substr(s, k, 1) == ")") { j = k; break }
            name = substr(s, i + 1, j - i - 1); gsub(/ /, "_", name)
            n = split(substr(s, j + 2), f, " ")
            print w " phase=" ph " queues=" q " thread=" name " cpu_ticks=" f[12] + f[13] " user=" f[12] " sys=" f[13]
        }' "$_task/stat" 2>/dev/null
    done >>"$out/threads.txt"
}

QSD_PID="" QSD_DEV="" LOOP_DEV="" NBD_DEV="" QUEUES=0 PHASE=0

# vduse-blk is the library's daemon (NAME, DEV, PID); its stderr goes out as vduse-blk.pPHASE.err.
start_vduse() { # queues
    case "$SET" in
        nbd) _be="--nbd $NBD_URI" ;;
        nvme) _be="--nvme-tcp 127.0.0.1:$NVME_PORT --nqn $NVME_NQN" ;;
        brd) _be="--file /dev/ram0 --direct" ;;
        *) _be="--file $dir/a.img" ;;
    esac
    # shellcheck disable=SC2086 # _be and VDUSE_ARGS are lists of options
    start_daemon bvd $_be --queues "$1" --queue-size "$QUEUE_SIZE" $VDUSE_ARGS
}

stop_vduse() {
    [ -n "$PID" ] || return 0
    _t=$(cpu_ticks "$PID")
    _n=$(dev_ios "$DEV")
    threads_cpu vduse "$PID"
    stop_daemon # exit status 0 and nothing left behind, or the bench fails
    cp "$DAEMON_ERR" "$out/vduse-blk.p$PHASE.err"
    echo "vduse phase=$PHASE queues=$QUEUES cpu_ticks=$_t dev_ios=$_n rc=0" >>"$out/daemons.txt"
    log "vduse-blk stderr:"
    sed 's/^/    /' "$out/vduse-blk.p$PHASE.err"
}

# fill_device DEV [WHAT]: every byte of the first SIZE_MB MiB of DEV written once (1M writes), so
# that reads copy real pages; WHAT names it in the failure (default DEV).
fill_device() {
    "$FIO" --name=fill --filename="$1" --ioengine=libaio --direct=1 --rw=write --bs=1M \
        --iodepth=4 --size="${SIZE_MB}M" --eta=never >"$out/fill.txt" 2>&1 || { cat "$out/fill.txt"; fail "fio fill of ${2:-$1} failed"; }
}

# The floors: more vduse-blk daemons beside the library's one (which owns NAME, DEV and PID),
# --null and --ram, as bnull and bram; their PIDs and disks in FLOOR_PID_KIND and FLOOR_DEV_KIND.
start_floor() { # kind queues
    _fk=$1 _fout=$out/$1.p$PHASE.out _ferr=$out/$1.p$PHASE.err
    log "start: vduse-blk serve --name b$1 --$1 ${SIZE_MB}M --queues $2 --queue-size $QUEUE_SIZE $VDUSE_ARGS"
    # Its state directory (and so --ram's image) on the tmpfs of the images, not /run: with the
    # image in /run, --ram's writes ran 22% (4k) and 35% (128k) slower than the same backend over a
    # file in /tmp, and in /tmp as fast (same run, same guest; both tmpfs).
    mkdir -p "$dir/floor-state"
    # shellcheck disable=SC2086 # VDUSE_ARGS is a list of options
    "$VDUSE_BLK" serve --name "b$1" "--$1" "${SIZE_MB}M" --queues "$2" --queue-size "$QUEUE_SIZE" --state-dir "$dir/floor-state" $VDUSE_ARGS \
        >"$_fout" 2>"$_ferr" &
    eval "FLOOR_PID_$1=$!"
    poll_until 60 _floor_ready || { cat "$_ferr"; fail "vduse-blk --$1: no ready line"; }
    _fd=$(floor_dev "$1")
    wait_until 5 "$_fd (announced ready) to be a block device" test -b "$_fd"
    log "vduse-blk --$1 on $_fd (pid $(floor_pid "$1"))"
    if [ "$1" = ram ]; then
        # Every page written once, like the images and RAM disks: a read of a hole would allocate
        # (and zero) a page of the RAM image first, which the other targets never pay.
        fill_device "$_fd"
    fi
}
_floor_ready() {
    _fdev=$(sed -n "s/^ready b$_fk //p" "$_fout")
    eval "FLOOR_DEV_$_fk=\$_fdev"
    [ -n "$_fdev" ] && return 0
    proc_alive "$(floor_pid "$_fk")" || { cat "$_ferr"; fail "vduse-blk --$_fk exited before ready"; }
    return 1
}
floor_pid() { eval "echo \${FLOOR_PID_$1:-}"; }
floor_dev() { eval "echo \${FLOOR_DEV_$1:-}"; }
stop_floor() { # kind
    _fp=$(floor_pid "$1")
    [ -n "$_fp" ] || return 0
    _t=$(cpu_ticks "$_fp")
    _n=$(dev_ios "$(floor_dev "$1")")
    threads_cpu "$1" "$_fp"
    kill -TERM "$_fp"
    poll_until 30 proc_gone "$_fp" || { kill -KILL "$_fp"; fail "vduse-blk --$1 ignored SIGTERM"; }
    _rc=0
    wait "$_fp" || _rc=$?
    echo "$1 phase=$PHASE queues=$QUEUES cpu_ticks=$_t dev_ios=$_n rc=$_rc" >>"$out/daemons.txt"
    [ "$_rc" -eq 0 ] || fail "vduse-blk --$1 exited rc=$_rc"
    eval "FLOOR_PID_$1='' FLOOR_DEV_$1=''"
}
FLOOR_KINDS="null ram"
stop_floors() { for _sk in $FLOOR_KINDS; do stop_floor "$_sk"; done; }

start_qsd() { # queues
    _log=$out/qsd.p$PHASE.err
    if [ "$SET" = nbd ]; then
        _bd="driver=nbd,node-name=f,server.type=inet,server.host=127.0.0.1,server.port=$NBD_PORT"
    elif [ "$SET" = brd ]; then
        _bd="driver=host_device,node-name=f,filename=/dev/ram1,cache.direct=on"
        [ "$QSD_AIO" = threads ] || _bd="$_bd,aio=$QSD_AIO"
    else
        _bd="driver=file,node-name=f,filename=$dir/b.img,cache.direct=off"
        [ "$QSD_AIO" = threads ] || _bd="$_bd,aio=$QSD_AIO"
    fi
    _ex="type=vduse-blk,id=e,node-name=f,name=bqsd,num-queues=$1,queue-size=$QUEUE_SIZE,writable=on"
    log "start: qemu-storage-daemon --blockdev $_bd --export $_ex"
    "$QSD" --blockdev "$_bd" --export "$_ex" >"$_log" 2>&1 &
    QSD_PID=$!
    poll_until 60 _qsd_created || { cat "$_log"; fail "no /dev/vduse/bqsd"; }
    "$VDPA" dev add name bqsd mgmtdev vduse || { cat "$_log"; fail "vdpa dev add name bqsd mgmtdev vduse failed"; }
    QSD_DEV=""
    poll_until 30 _qsd_disk || { cat "$_log"; fail "qsd: no /dev/vdX under /sys/bus/vdpa/devices/bqsd"; }
    log "qemu-storage-daemon on $QSD_DEV (pid $QSD_PID)"
}
# _qsd_created: /dev/vduse/bqsd exists; fails the bench if qemu-storage-daemon exited.
_qsd_created() {
    [ ! -c /dev/vduse/bqsd ] || return 0
    proc_alive "$QSD_PID" || { cat "$_log"; fail "qemu-storage-daemon exited before creating /dev/vduse/bqsd"; }
    return 1
}
# _qsd_disk: sets QSD_DEV once the attached device has its /dev/vdX.
_qsd_disk() {
    for _b in /sys/bus/vdpa/devices/bqsd/virtio*/block/vd*; do
        [ -e "$_b" ] && QSD_DEV=/dev/${_b##*/}
    done
    [ -n "$QSD_DEV" ] && [ -b "$QSD_DEV" ]
}

stop_qsd() {
    [ -n "$QSD_PID" ] || return 0
    _t=$(cpu_ticks "$QSD_PID")
    _n=$(dev_ios "$QSD_DEV")
    threads_cpu qsd "$QSD_PID"
    "$VDPA" dev del bqsd || log "vdpa dev del bqsd failed"
    kill -TERM "$QSD_PID"
    poll_until 30 proc_gone "$QSD_PID" || { kill -KILL "$QSD_PID"; fail "qemu-storage-daemon ignored SIGTERM"; }
    _rc=0
    wait "$QSD_PID" || _rc=$?
    echo "qsd phase=$PHASE queues=$QUEUES cpu_ticks=$_t dev_ios=$_n rc=$_rc" >>"$out/daemons.txt"
    log "qemu-storage-daemon exit rc=$_rc"
    QSD_PID="" QSD_DEV=""
}

start_loop() {
    _dio=off _img=$dir/c.img
    [ "$SET" != brd ] || _dio=on _img=/dev/ram2
    LOOP_DEV=$("$LOSETUP" --direct-io="$_dio" --show -f "$_img") || fail "losetup failed"
    log "loop on $LOOP_DEV over $_img (direct-io=$(cat "/sys/block/${LOOP_DEV#/dev/}/loop/dio" 2>/dev/null), $(cat "/sys/block/${LOOP_DEV#/dev/}/queue/nr_requests" 2>/dev/null) requests)"
}
stop_loop() {
    [ -n "$LOOP_DEV" ] || return 0
    "$LOSETUP" -d "$LOOP_DEV" || log "losetup -d $LOOP_DEV failed"
    LOOP_DEV=""
}

# The kernel's NBD client, one connection per hardware queue (lib.sh's nbd_attach; the library's
# exit trap detaches it and unloads nbd).
start_nbd() { # queues
    nbd_attach /dev/nbd0 "$NBD_PORT" -C "$1"
    NBD_DEV=/dev/nbd0
    # Single-queue disks get mq-deadline by default; the virtio disks run without a scheduler.
    echo none >/sys/block/nbd0/queue/scheduler || fail "cannot set scheduler none on nbd0"
}
stop_nbd() {
    [ -n "$NBD_DEV" ] || return 0
    nbd_detach "$NBD_DEV"
    NBD_DEV=""
}

# The kernel's NVMe/TCP host with one I/O queue per hardware queue (lib.sh's nvme_host_connect;
# the library's exit trap disconnects it, stops the target and unloads the modules).
start_nvme() { # queues
    nvme_host_connect "$NVME_NQN" "$NVME_PORT" "" "nr_io_queues=$1"
    # I/O goes through the multipath head (bio-based, no scheduler) to the controller's hidden
    # path disk; a single-queue path gets mq-deadline by default, the virtio disks run without.
    for _p in /sys/class/nvme/"$NVME_CTRL"/nvme*c*n*; do
        echo none >"$_p/queue/scheduler" || fail "cannot set scheduler none on ${_p##*/}"
    done
}
stop_nvme() {
    [ -n "$NVME_CTRL" ] || return 0
    nvme_host_disconnect
}

# vduse_probe: can vduse-blk serve the nvme set's target at all? Started and stopped once in a
# subshell (whose failure ends only the subshell); when it cannot, the reason goes to
# vduse-skip.txt for the report and the set runs without it.
vduse_probe() {
    if [ "$SKIP_VDUSE" = 1 ]; then
        echo "not run: SKIP_VDUSE=1 (scripts/bench.sh vm --set nvme --kernel-only)" >"$out/vduse-skip.txt"
    elif ! (start_vduse 1 && stop_vduse) >"$out/vduse-probe.txt" 2>&1; then
        # One line: what the daemon said (start_daemon indents its stderr), and lib.sh's verdict.
        _why=$(grep -m1 '^FAIL: ' "$out/vduse-probe.txt" | cut -c7- | sed 's/; daemon stderr:.*//')
        _said=$(sed -n 's/^    //p' "$out/vduse-probe.txt" | head -n1)
        echo "did not start: ${_said:+$_said }(${_why:-see vduse-probe.txt})" >"$out/vduse-skip.txt"
    fi
    # The probe's own accounting is not a phase of the bench.
    rm -f "$out/daemons.txt" "$out/threads.txt" "$out/vduse-blk.p0.err"
    [ -s "$out/vduse-skip.txt" ] || return 0
    log "vduse-blk left out of the nvme set: $(cat "$out/vduse-skip.txt")"
    targets=nvme
}

# run_fio NAME RW BS QD NJ DEV OUT: one timed fio job, JSON to OUT.json (fails the bench on an error).
run_fio() {
    _rc=0
    timeout $((RUNTIME * 10 + 120)) "$FIO" --name="$1" --filename="$6" \
        --ioengine=libaio --direct=1 --rw="$2" --bs="$3" --iodepth="$4" \
        --numjobs="$5" --group_reporting --time_based --runtime="$RUNTIME" \
        --ramp_time="$RAMP" --lat_percentiles=1 --randrepeat=0 --norandommap \
        --output-format=json --eta=never --output="$7.json" 2>"$7.stderr" || _rc=$?
    if [ "$_rc" -ne 0 ]; then
        cat "$7.stderr" "$7.json" 2>/dev/null | tail -n 20
        fail "fio $1 on $6 exited rc=$_rc"
    fi
}

# counters: interrupts of the whole guest summed over its CPUs (LOC timer, RES rescheduling IPIs, CAL
# function-call IPIs, TLB shootdowns) and its context switches, as "LOC RES CAL TLB CTXT".
counters() {
    awk -v n="$(nproc)" '$1 == "LOC:" || $1 == "RES:" || $1 == "CAL:" || $1 == "TLB:" {
            s = 0; for (i = 2; i <= n + 1; i++) s += $i; v[$1] = s }
        END { printf "%d %d %d %d", v["LOC:"], v["RES:"], v["CAL:"], v["TLB:"] }' /proc/interrupts
    awk '$1 == "ctxt" { printf " %d\n", $2 }' /proc/stat
}

# per_io JOB TARGET IOS BEFORE AFTER SYSCALLS CPU_TICKS: the profile run's counters per device I/O.
per_io() {
    echo "## $1 on $2: per device I/O ($3 I/Os in the profiled run)"
    echo "$4 $5" | awk -v n="$3" -v sc="$6" -v cpu="$7" '{
        if (n < 1) n = 1
        printf "    timer interrupts %.2f, rescheduling IPIs %.2f, function-call IPIs %.2f, TLB shootdowns %.2f, context switches %.2f (whole guest)\n",
            ($6 - $1) / n, ($7 - $2) / n, ($8 - $3) / n, ($9 - $4) / n, ($10 - $5) / n
        if (sc != "") printf "    daemon: %.2f syscalls, %.0f us of CPU\n", sc / n, cpu * 10000 / n }'
}

# profile_job NAME RW BS QD NJ: one more run per target with perf sampling the whole guest (cpu-clock:
# TCG has no PMU) from before fio starts to its end (perf itself takes seconds to start under TCG,
# longer than a run); the flat profile by process and by symbol, and the run's interrupts, context
# switches and daemon syscalls per I/O go to NAME.TARGET.profile.txt; vduse-blk's own samples by
# address to NAME.TARGET.usersyms.txt (the host names the functions: the guest's binary is
# stripped). Not one of the measured runs: sampling slows the guest.
profile_job() {
    for _pt in $targets; do
        _pd=$(target_dev "$_pt")
        _pf=$out/$1.$_pt.prof
        _tp=$(target_pid "$_pt")
        log "$(up)s profile $1 on $_pt ($_pd)"
        rm -f "$dir/perf.data" "$dir/perf.stat"
        $PERF record -a -e cpu-clock -F 499 -o "$dir/perf.data" >"$_pf.record.txt" 2>&1 &
        _pp=$!
        _sp=""
        if [ -n "$_tp" ]; then
            $PERF stat -e raw_syscalls:sys_enter -p "$_tp" -x , -o "$dir/perf.stat" >/dev/null 2>&1 &
            _sp=$!
        fi
        wait_until 120 "perf record to start (profile of $1)" test -s "$dir/perf.data"
        _ios0=$(dev_ios "$_pd") _c0=$(counters) _cpu0=$([ -z "$_tp" ] || cpu_ticks "$_tp")
        run_fio "$1" "$2" "$3" "$4" "$5" "$_pd" "$_pf"
        _ios1=$(dev_ios "$_pd") _c1=$(counters) _cpu1=$([ -z "$_tp" ] || cpu_ticks "$_tp")
        kill -INT "$_pp"
        wait "$_pp" || true # perf record exits non-zero on SIGINT, having written its data
        _sc=""
        if [ -n "$_sp" ]; then
            kill -INT "$_sp"
            wait "$_sp" || true
            # perf stat counts from its own start, a little before fio's: an upper bound.
            _sc=$(awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$dir/perf.stat" 2>/dev/null)
        fi
        grep -q "Captured and wrote" "$_pf.record.txt" || { cat "$_pf.record.txt"; fail "perf record failed"; }
        {
            echo "## $1 on $_pt: samples by process"
            $PERF report -i "$dir/perf.data" --stdio --no-children --sort comm --percent-limit 1 2>/dev/null | grep -v -e '^#' -e '^$'
            echo "## $1 on $_pt: samples by symbol (>= 0.8%)"
            $PERF report -i "$dir/perf.data" --stdio --no-children --sort comm,dso,sym --percent-limit 0.8 2>/dev/null | grep -v -e '^#' -e '^$'
            per_io "$1" "$_pt" $((_ios1 - _ios0)) "$_c0" "$_c1" "$_sc" $((${_cpu1:-0} - ${_cpu0:-0}))
        } >"$out/$1.$_pt.profile.txt"
        if [ "$_pt" = vduse ]; then
            $PERF report -i "$dir/perf.data" --stdio --no-children --dsos vduse-blk --sort sym 2>/dev/null |
                grep -v -e '^#' -e '^$' >"$out/$1.$_pt.usersyms.txt" || true
        fi
        rm -f "$dir/perf.data" "$dir/perf.stat" "$_pf.json"
    done
}

# The library's exit trap stops vduse-blk, then runs this (quietly: it must not fail).
bench_cleanup() {
    if [ -n "$QSD_PID" ]; then
        "$VDPA" dev del bqsd 2>/dev/null
        kill -TERM "$QSD_PID" 2>/dev/null
        poll_until 10 proc_gone "$QSD_PID" || kill -KILL "$QSD_PID" 2>/dev/null
    fi
    [ -z "$LOOP_DEV" ] || "$LOSETUP" -d "$LOOP_DEV" 2>/dev/null
    for _fk in $FLOOR_KINDS; do
        _fp=$(floor_pid "$_fk")
        [ -n "$_fp" ] || continue
        kill -TERM "$_fp" 2>/dev/null
        poll_until 10 proc_gone "$_fp" || kill -KILL "$_fp" 2>/dev/null
    done
}
CLEANUP_AFTER=bench_cleanup

devices() { # queues: (re)start the daemons with that many queues
    [ "$QUEUES" = "$1" ] && return 0
    stop_vduse
    stop_qsd
    stop_floors
    stop_nbd
    stop_nvme
    PHASE=$((PHASE + 1))
    QUEUES=$1
    for _t in $targets; do
        case "$_t" in
            vduse) start_vduse "$1" ;;
            qsd) start_qsd "$1" ;;
            null | ram) start_floor "$_t" "$1" ;;
            nbd) start_nbd "$1" ;;
            nvme) start_nvme "$1" ;;
            loop) [ -n "$LOOP_DEV" ] || start_loop ;;
        esac
    done
    for _t in $targets; do
        _d=$(target_dev "$_t")
        _info=$(dev_info "$_t" "$_d")
        log "$_t $_d: $_info"
        echo "$_t queues=$1 $_d: $_info" >>"$out/devices.txt"
    done
}

# dev_info TARGET DEV: size, hardware queues, requests and scheduler of DEV (for the kernel
# NVMe/TCP host those of the controller's path disk: the head disk it sits under has none).
dev_info() {
    _s=/sys/block/${2#/dev/}
    _q=$_s _of=""
    if [ "$1" = nvme ]; then
        for _p in /sys/class/nvme/"$NVME_CTRL"/nvme*c*n*; do _q=$_p _of=" (of the path ${_p##*/})"; done
    fi
    echo "$(cat "$_s/size") sectors, hw queues $(find "$_q/mq" -mindepth 1 -maxdepth 1 | wc -l), nr_requests $(cat "$_q/queue/nr_requests"), scheduler $(cat "$_q/queue/scheduler")$_of"
}

target_dev() {
    case "$1" in
        vduse) echo "$DEV" ;;
        qsd) echo "$QSD_DEV" ;;
        loop) echo "$LOOP_DEV" ;;
        null | ram) floor_dev "$1" ;;
        nbd) echo "$NBD_DEV" ;;
        nvme) echo "$NVME_DEV" ;;
    esac
}
# target_pid TARGET: the process serving TARGET (none for the kernel's own devices).
target_pid() {
    case "$1" in
        vduse) echo "$PID" ;;
        qsd) echo "$QSD_PID" ;;
        null | ram) floor_pid "$1" ;;
    esac
}

if [ "$SET" = nvme ]; then
    # --- one target: nvmet over a brd namespace, every page written once (reads copy real data) ---
    targets="vduse nvme"
    load_brd 1 $((SIZE_MB * 1024))
    log "filling the ${SIZE_MB}M RAM disk /dev/ram0"
    fill_device /dev/ram0
    load_nvmet
    load_nvme_host
    start_nvmet_target "$NVME_NQN" "$NVME_PORT" /dev/ram0
    vduse_probe
    echo "nvmet=kernel $(uname -r) nvmet_tcp, brd namespace" >"$out/env.txt"
elif [ "$SET" = brd ]; then
    # --- three RAM disks, one per target, every page written once (reads copy real data) ---
    targets="vduse qsd loop"
    load_brd 3 $((SIZE_MB * 1024))
    for _r in 0 1 2; do
        log "filling the ${SIZE_MB}M RAM disk /dev/ram$_r"
        fill_device /dev/ram$_r
    done
    : >"$out/env.txt"
elif [ "$SET" = nbd ]; then
    # --- one server: nbdkit's memory plugin, every page written once (reads copy real data) ---
    targets="vduse qsd nbd"
    load_nbd 1
    start_nbdkit "$NBD_PORT" memory "${SIZE_MB}M"
    log "filling the ${SIZE_MB}M export through /dev/nbd0"
    nbd_attach /dev/nbd0 "$NBD_PORT"
    fill_device /dev/nbd0 "the export"
    nbd_detach /dev/nbd0
    echo "nbdkit_version=$("$NBDKIT" --version 2>&1 | head -n1)" >"$out/env.txt"
else
    # --- images: same size, fully allocated in tmpfs (reads hit real pages) -------------
    targets="vduse qsd loop"
    log "images: 3 x ${SIZE_MB}M on tmpfs $dir ($(nproc) CPUs)"
    for f in a b c; do
        dd if=/dev/zero of="$dir/$f.img" bs=1M count="$SIZE_MB" status=none || fail "cannot create $dir/$f.img"
    done
    : >"$out/env.txt"
fi
echo "qsd_version=$(cat /opt/trixie/VERSION 2>/dev/null)" >>"$out/env.txt"
if [ "$FLOOR" = 1 ]; then
    case "$SET" in file | brd) targets="$targets $FLOOR_KINDS" ;; *) fail "FLOOR=1 is for the file and brd sets" ;; esac
fi
if [ -n "$PROFILE_JOBS" ]; then
    [ -x "$PERF" ] || fail "PROFILE_JOBS set but no $PERF in the VM (bench.sh --profile stages it)"
    # Kernel symbols for the profile, and sampling of every process.
    echo 0 >/proc/sys/kernel/kptr_restrict
    echo -1 >/proc/sys/kernel/perf_event_paranoid
    echo "perf_version=$($PERF --version 2>&1)" >>"$out/env.txt"
fi
{
    echo "fio_version=$($FIO --version)"
    echo "kernel=$(uname -r)"
    echo "cpus=$(nproc)"
    echo "targets=$targets"
    echo "set=$SET runs=$RUNS runtime=$RUNTIME ramp=$RAMP size_mb=$SIZE_MB queue_size=$QUEUE_SIZE qsd_aio=$QSD_AIO"
} >>"$out/env.txt"

# JOBS lines: name rw bs iodepth numjobs queues (queue count of the devices).
# Jobs run grouped by queue count (fewest first) so the daemons restart once
# per queue count; within a job the targets are interleaved.
for qq in $(echo "$JOBS" | awk 'NF >= 6 { print $6 }' | sort -un); do
    # (fd 3, not a pipe: a piped loop would run in a subshell and lose the PIDs)
    while read -r name rw bs qd nj q <&3; do
        if [ -z "$name" ] || [ "$q" != "$qq" ]; then continue; fi
        devices "$q"
        r=1
        while [ "$r" -le "$RUNS" ]; do
            # Rotate the starting target each run.
            # shellcheck disable=SC2086 # split the list
            set -- $targets
            k=$(((r - 1) % $#))
            while [ "$k" -gt 0 ]; do
                _f=$1
                shift
                set -- "$@" "$_f"
                k=$((k - 1))
            done
            for t in "$@"; do
                dev=$(target_dev "$t")
                f=$out/$name.$t.$r
                log "$(up)s job $name target $t run $r: $rw bs=$bs iodepth=$qd numjobs=$nj on $dev"
                # CPU over the run: the whole guest, the server (nbd set) and the target's daemon.
                tpid=$(target_pid "$t")
                b0=$(guest_busy) i0=$(dev_ios "$dev") s0=0 d0=0
                [ -z "$NBDKIT_PID" ] || s0=$(cpu_ticks "$NBDKIT_PID")
                [ -z "$tpid" ] || d0=$(cpu_ticks "$tpid")
                run_fio "$name" "$rw" "$bs" "$qd" "$nj" "$dev" "$f"
                s1=0 d1=0
                [ -z "$NBDKIT_PID" ] || s1=$(cpu_ticks "$NBDKIT_PID")
                [ -z "$tpid" ] || d1=$(cpu_ticks "$tpid")
                echo "$name $t $r guest_ticks=$(($(guest_busy) - b0)) server_ticks=$((s1 - s0)) daemon_ticks=$((d1 - d0)) dev_ios=$(($(dev_ios "$dev") - i0))" >>"$out/cpu.txt"
                # One line of progress: the first "iops" of the direction that ran.
                case "$rw" in *write*) dirn="write" ;; *) dirn="read" ;; esac
                iops=$(awk -v d="\"$dirn\"" '$1 == d { on = 1 } on && $1 == "\"iops\"" { gsub(/,/, "", $3); print int($3); exit }' "$f.json")
                log "  -> $iops IOPS"
            done
            r=$((r + 1))
        done
        case " $PROFILE_JOBS " in *" $name "*) profile_job "$name" "$rw" "$bs" "$qd" "$nj" ;; esac
    done 3<<EOF
$JOBS
EOF
done
stop_vduse
stop_qsd
stop_floors
stop_loop
stop_nbd
stop_nvme
if [ -n "$NBDKIT_PID" ]; then
    threads_cpu nbdkit "$NBDKIT_PID"
    stop_nbdkit "$NBDKIT_PID"
fi
dmesg >"$out/dmesg.txt"

# --- results out over the console -------------------------------------------------------
# Quiet the console while the blob goes out (kernel messages would split it).
loglevel=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 1 2>/dev/null || true
echo "=== BENCH DATA BEGIN"
tar -C "$out" -cf - . | gzip -9 | base64 | sed 's/^/B64:/'
echo "=== BENCH DATA END"
dmesg -n "$loglevel" 2>/dev/null || true
log "done at $(up)s"
