# shellcheck shell=sh
# Shared helpers for the VM scenarios; sourced (". /scenarios/lib.sh"), never
# run as a scenario (the runner only runs files named [0-9]*.sh).
#
# Busybox sh runs its own applets for bare names even when a real tool comes
# first in PATH, so real tools are always called by full path:
#   /usr/bin/fio /usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/blockdev
#   /usr/sbin/losetup /usr/sbin/blkdiscard
# and Debian trixie's NBD tools (scripts/vm/trixie-tools.sh; helpers at the end):
#   /usr/bin/nbdkit /usr/bin/qemu-nbd /usr/bin/qemu-img /usr/sbin/nbd-client

VDUSE_BLK=${VDUSE_BLK:-/usr/bin/vduse-blk}
READY_TIMEOUT=${READY_TIMEOUT:-60} # seconds for the "ready" line
STOP_TIMEOUT=${STOP_TIMEOUT:-30}   # seconds for exit after SIGTERM

NAME="" DEV="" PID="" DAEMON_OUT="" DAEMON_ERR=""
CLEANUP_MOUNTS="" CLEANUP_AFTER=""
# NBD servers still running (pids), their logs, and /dev/nbdN still attached, for _lib_cleanup.
NBD_SERVERS="" NBD_LOGS="" NBD_ATTACHED="" NBD_LOADED=0
# brd loaded by load_brd (unloaded last, after whatever may use its disks).
BRD_LOADED=0

log() { echo "--- $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Running and not a zombie (an exited background child stays a zombie until
# waited for, and kill -0 would still succeed on it).
proc_alive() {
    # ash may reap a finished child at any moment (its status stays in the
    # job table for "wait"), so a vanished /proc entry means "not alive".
    _st=$(grep '^State:' "/proc/$1/status" 2>/dev/null) || return 1
    case "$_st" in *Z* | *X*) return 1 ;; esac
    return 0
}
proc_gone() { ! proc_alive "$1"; }

# poll_until SECONDS COMMAND...: runs COMMAND (in this shell: it may set variables, or fail the
# scenario) every 0.1 s until it succeeds, status 0; status 1 once SECONDS have passed (by
# /proc/uptime, whole seconds) without that. Not nested: COMMAND must not call poll_until.
poll_until() {
    read -r _pu_now _ </proc/uptime
    _pu_end=$((${_pu_now%.*} + $1))
    shift
    until "$@"; do
        read -r _pu_now _ </proc/uptime
        [ "${_pu_now%.*}" -lt "$_pu_end" ] || return 1
        usleep 100000
    done
}

# wait_until SECONDS WHAT COMMAND...: poll_until, failing the scenario with "timed out after
# SECONDS s waiting for WHAT" when COMMAND never succeeded.
wait_until() {
    _wu_secs=$1 _wu_what=$2
    shift 2
    poll_until "$_wu_secs" "$@" || fail "timed out after $_wu_secs s waiting for $_wu_what"
}

daemon_stderr() {
    if [ -s "$DAEMON_ERR" ]; then
        echo "daemon stderr:"
        sed 's/^/    /' "$DAEMON_ERR"
    else
        echo "daemon stderr: (empty)"
    fi
}

# start_daemon NAME ARGS...: vduse-blk serve --name NAME ARGS... in the
# background; waits for "ready NAME /dev/vdX", sets NAME, DEV and PID.
start_daemon() {
    [ -z "$PID" ] || fail "start_daemon $1: daemon $NAME (pid $PID) still running"
    NAME=$1
    shift
    DAEMON_OUT=/tmp/daemon-$NAME.out
    DAEMON_ERR=/tmp/daemon-$NAME.err
    : >"$DAEMON_OUT"
    : >"$DAEMON_ERR"
    log "start: vduse-blk serve --name $NAME $*"
    "$VDUSE_BLK" serve --name "$NAME" "$@" >"$DAEMON_OUT" 2>"$DAEMON_ERR" &
    PID=$!
    DEV=""
    if ! poll_until "$READY_TIMEOUT" _daemon_ready; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=""
        fail "daemon $NAME not ready after ${READY_TIMEOUT}s; $(daemon_stderr)"
    fi
    case "$DEV" in /dev/vd*) ;; *) fail "ready device '$DEV' is not /dev/vdX" ;; esac
    # The node is created with the disk; allow devtmpfs a moment anyway.
    wait_until 5 "$DEV (announced ready) to be a block device" test -b "$DEV"
    log "ready: $NAME on $DEV (pid $PID)"
}

# _daemon_ready: for start_daemon's poll: sets DEV from the "ready" line once there is one; fails
# the scenario on a malformed line or a daemon that exited.
_daemon_ready() {
    _line=$(grep -m1 '^ready ' "$DAEMON_OUT" || true)
    if [ -n "$_line" ]; then
        # shellcheck disable=SC2086 # split "ready NAME /dev/vdX"
        set -- $_line
        if [ "$#" -ne 3 ] || [ "$2" != "$NAME" ]; then
            fail "bad ready line '$_line' (want 'ready $NAME /dev/vdX')"
        fi
        DEV=$3
        return 0
    fi
    if ! proc_alive "$PID"; then
        _rc=0
        wait "$PID" || _rc=$?
        PID=""
        fail "daemon $NAME exited (rc=$_rc) before ready; $(daemon_stderr)"
    fi
    return 1
}

# Sysfs directory of the running disk, e.g. /sys/block/vda.
sysblk() { echo "/sys/block/${DEV#/dev/}"; }

# stop_daemon: SIGTERM, wait, expect rc 0 and every trace of the device gone.
stop_daemon() {
    [ -n "$PID" ] || fail "stop_daemon: no daemon running"
    log "stop: SIGTERM $NAME (pid $PID)"
    kill -TERM "$PID" || fail "cannot signal daemon $PID"
    await_clean_exit SIGTERM
}

# wait_gone PID SECONDS [WHAT]: waits for the child to exit and sets WAIT_RC to its exit status
# (no command substitution: a subshell cannot wait for the parent's children). A child still
# running after SECONDS is killed and the scenario fails (with the daemon's stderr if it is $PID).
wait_gone() {
    if ! poll_until "$2" proc_gone "$1"; then
        kill -KILL "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
        [ "$1" != "$PID" ] || PID=""
        fail "${3:-pid $1} still running after $2 s; $(daemon_stderr)"
    fi
    WAIT_RC=0
    wait "$1" || WAIT_RC=$?
}

# await_clean_exit WHAT: after WHAT asked the daemon to stop, wait for it; expect
# rc 0, and no /dev/vduse/NAME, vdpa device, /dev/vdX or control socket after.
await_clean_exit() {
    wait_gone "$PID" "$STOP_TIMEOUT" "daemon $NAME after $1"
    PID=""
    [ "$WAIT_RC" -eq 0 ] || fail "daemon $NAME exited rc=$WAIT_RC after $1 (want 0); $(daemon_stderr)"
    [ ! -e "/dev/vduse/$NAME" ] || fail "/dev/vduse/$NAME still exists after exit (device not destroyed)"
    [ ! -e "/sys/bus/vdpa/devices/$NAME" ] || fail "/sys/bus/vdpa/devices/$NAME still exists after exit (not detached)"
    [ ! -e "$DEV" ] || fail "$DEV still exists after exit"
    [ ! -e "${STATE_DIR:-/run/vduse-blk}/$NAME.sock" ] || fail "control socket ${STATE_DIR:-/run/vduse-blk}/$NAME.sock left behind"
    log "stopped: $NAME clean"
}

# loopback_up: 127.0.0.1 on lo (the VM boots with no network), for servers the scenario talks to.
loopback_up() {
    ifconfig lo 127.0.0.1 up || fail "cannot bring lo up"
}

# Value of a sysfs attribute, failing if it is missing.
sysval() {
    [ -r "$1" ] || fail "missing $1"
    cat "$1"
}

expect_eq() { # what got want
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    log "ok: $1 = $3"
}

# run_fio_verify BS [FIO-ARGS...]: fio randwrite with crc32c verify on $DEV
# (libaio, O_DIRECT, iodepth 16, 32 MiB, plus FIO-ARGS such as --offset=64M);
# prints fio's summary lines (IOPS, bandwidth, latency).
run_fio_verify() {
    _bs=$1
    shift
    _out=/tmp/fio-$NAME-$_bs.txt
    log "fio randwrite verify=crc32c bs=$_bs iodepth=16 size=32M $* on $DEV"
    _rc=0
    /usr/bin/fio --name="verify-$_bs" --filename="$DEV" \
        --ioengine=libaio --direct=1 --rw=randwrite --bs="$_bs" --iodepth=16 \
        --size=32M --verify=crc32c --do_verify=1 --verify_fatal=1 \
        --randrepeat=0 --verify_state_save=0 --group_reporting "$@" >"$_out" 2>&1 || _rc=$?
    grep -E 'err=|IOPS=|  (s|c)?lat \(|  bw \(|  iops *:|^ *(READ|WRITE):|^Disk stats|util=' "$_out" || true
    expect_fio_clean "fio bs=$_bs on $DEV" "$_out" "$_rc"
}

# expect_fio_clean WHAT OUTPUT RC: fio exited 0, reported no error and no failed verify, and
# printed its "err= 0" summary.
expect_fio_clean() {
    [ "$3" -eq 0 ] || { cat "$2"; fail "$1 exited rc=$3"; }
    if grep -E 'err= *[1-9]|verify: bad|bad magic|crc32c: verify failed|Input/output error' "$2" >/dev/null; then
        cat "$2"
        fail "$1 reported errors"
    fi
    grep -q 'err= *0' "$2" || { cat "$2"; fail "$1: no 'err= 0' summary"; }
    log "ok: $1 verified"
}

# read_range PATH OFFSET LENGTH [direct]: LENGTH bytes at byte OFFSET of PATH
# to stdout (both multiples of 512), in the largest of 1M/64k/4k/512 blocks
# dividing both; "direct" reads with O_DIRECT.
read_range() {
    _bs=512
    for _b in 1048576 65536 4096; do
        if [ "$(($2 % _b))" -eq 0 ] && [ "$(($3 % _b))" -eq 0 ]; then
            _bs=$_b
            break
        fi
    done
    if [ "${4:-}" = direct ]; then
        dd if="$1" bs="$_bs" skip="$(($2 / _bs))" count="$(($3 / _bs))" iflag=direct status=none
    else
        dd if="$1" bs="$_bs" skip="$(($2 / _bs))" count="$(($3 / _bs))" status=none
    fi
}

# range_sha PATH OFFSET LENGTH [direct]: sha256 (hex) of that range; fails if
# the read fails.
range_sha() {
    # shellcheck disable=SC3040 # busybox ash has pipefail
    _s=$(set -o pipefail; read_range "$@" | sha256sum) || fail "read of $3 bytes at $2 from $1 failed"
    echo "${_s%% *}"
}

# expect_zero WHAT PATH OFFSET LENGTH [direct]: the range reads back as zeroes.
# (tr is several times faster than cmp; cmp only runs to locate a mismatch.)
expect_zero() {
    # shellcheck disable=SC3040 # busybox ash has pipefail
    _nz=$(set -o pipefail; read_range "$2" "$3" "$4" "${5:-}" | tr -d '\000' | wc -c) ||
        fail "$1: read of $4 bytes at $3 from $2 failed"
    if [ "$_nz" -ne 0 ]; then
        _cmp=$(read_range "$2" "$3" "$4" "${5:-}" | cmp -n "$4" - /dev/zero 2>&1 || true)
        fail "$1: $_nz of $4 bytes at $3 of $2 are not zero (first: $_cmp, relative to $3)"
    fi
    log "ok: $1: $4 bytes at $3 read back as zeroes"
}

# stats_json: the device's `vduse-blk stats NAME --json` reply (one line).
stats_json() {
    "$VDUSE_BLK" stats "$NAME" --json ${STATE_DIR:+--state-dir "$STATE_DIR"} || fail "vduse-blk stats $NAME failed"
}

# json_total JSON FIELD: a number of the "total" object of a stats reply
# (counters, or latency fields such as p99 or count).
json_total() {
    _v=$(echo "$1" | sed -n 's/.*"total":{\([^}]*\)}.*/\1/p' | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p")
    [ -n "$_v" ] || fail "no total.$2 in stats reply: $1"
    echo "$_v"
}

# expect_one_line_error WANT RC TEXT: a failed command exited RC (want 1) with
# exactly one line on stderr that contains WANT.
expect_one_line_error() {
    [ "$2" -eq 1 ] || fail "exit $2 (want 1): $3"
    case "$3" in *"$1"*) ;; *) fail "error '$3' does not say '$1'" ;; esac
    [ "$(printf '%s\n' "$3" | wc -l)" -eq 1 ] || fail "error is not one line: $3"
    log "ok: one-line error: $3"
}

# devstat N: field N of $(sysblk)/stat (1 read I/Os, 5 write I/Os,
# 12 discard I/Os, 16 flush I/Os).
devstat() {
    awk -v n="$1" '{ print $n }' "$(sysblk)/stat"
}

# dev_requests: requests $DEV has completed (reads, writes, discards and flushes of $(sysblk)/stat).
dev_requests() {
    awk '{ print $1 + $5 + $12 + $16 }' "$(sysblk)/stat"
}

# _io_moved_or_gone PID: for io_moment's poll: PID is gone, or it runs and $DEV completed
# requests since the last call (IO_SEEN, the count then).
_io_moved_or_gone() {
    proc_alive "$1" || return 0
    _io_now=$(dev_requests)
    [ "$_io_now" = "$IO_SEEN" ] || proc_gone "$1" || return 0
    IO_SEEN=$_io_now
    return 1
}

# io_moment TRIES WHAT START [AGAIN]: brings about "WHAT running with I/O on $DEV" for the scenario
# to act in (a kill, a reset). START is a command that starts WHAT in the background and sets
# JOB_PID (MOMENT_TRY is the attempt, from 1); io_moment returns as soon as the job runs and $DEV
# has completed requests since the last look (polled every 0.1 s from START's return).
# A job that ends before is reaped (WAIT_RC is its status), AGAIN runs (a check of the finished
# job), and unless it failed START runs again, TRIES times at most. The scenario fails after that,
# and when the job runs 60 s without I/O completing on $DEV.
io_moment() {
    _mo_tries=$1 _mo_what=$2 _mo_start=$3 _mo_again=${4:-}
    MOMENT_TRY=1
    while :; do
        JOB_PID=""
        "$_mo_start"
        [ -n "$JOB_PID" ] || fail "io_moment: $_mo_start set no JOB_PID"
        IO_SEEN=$(dev_requests)
        poll_until 60 _io_moved_or_gone "$JOB_PID" || fail "$_mo_what: no request completed on $DEV for 60 s"
        if proc_alive "$JOB_PID"; then
            log "$_mo_what: running with I/O on $DEV (attempt $MOMENT_TRY)"
            return 0
        fi
        wait_gone "$JOB_PID" 10 "$_mo_what"
        [ -z "$_mo_again" ] || "$_mo_again"
        [ "$WAIT_RC" -eq 0 ] || fail "$_mo_what exited rc=$WAIT_RC before I/O was seen on $DEV"
        [ "$MOMENT_TRY" -lt "$_mo_tries" ] || fail "$_mo_what: ended before I/O was seen on $DEV, $_mo_tries times"
        log "$_mo_what: ended before I/O was seen on $DEV: again ($MOMENT_TRY/$_mo_tries)"
        MOMENT_TRY=$((MOMENT_TRY + 1))
    done
}

# Failing scenarios must not leave a mounted disk or a live daemon: unmount,
# then ask the daemon to clean up (the runner SIGKILLs what is left, which
# would leave the VDUSE device behind).
_lib_cleanup() {
    _rc=$?
    for _m in $CLEANUP_MOUNTS; do
        umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null || true
    done
    if [ -n "$PID" ] && proc_alive "$PID"; then
        kill -TERM "$PID" 2>/dev/null || true
        poll_until 10 proc_gone "$PID" || true
        kill -KILL "$PID" 2>/dev/null || true
        if [ "$_rc" -ne 0 ]; then daemon_stderr >&2; fi
    fi
    # NBD disks before their servers (a disk whose server is gone waits out its timeout), then nbd.
    for _d in $NBD_ATTACHED; do "$NBD_CLIENT" -d "$_d" >/dev/null 2>&1 || true; done
    for _p in $NBD_SERVERS; do
        kill -TERM "$_p" 2>/dev/null || true
        poll_until 10 proc_gone "$_p" || kill -KILL "$_p" 2>/dev/null || true
    done
    # A disk being torn down still holds the module for a moment.
    if [ "$NBD_LOADED" = 1 ]; then poll_until 5 rmmod nbd 2>/dev/null || true; fi
    if [ "$_rc" -ne 0 ]; then
        for _f in $NBD_LOGS; do
            if [ -s "$_f" ]; then echo "$_f:" && sed 's/^/    /' "$_f"; fi >&2
        done
    fi
    # Scenario-specific teardown after the daemon is gone.
    if [ -n "$CLEANUP_AFTER" ]; then eval "$CLEANUP_AFTER" || true; fi
    # The RAM disks last: mounts on them are gone by now.
    if [ "$BRD_LOADED" = 1 ]; then poll_until 5 rmmod brd 2>/dev/null || true; fi
    exit "$_rc"
}
trap _lib_cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$VDUSE_BLK" ] || fail "$VDUSE_BLK missing"
[ -c /dev/vduse/control ] || fail "/dev/vduse/control missing (is the vduse module loaded?)"

# wait_rebound VIRTIO: after the virtio device VIRTIO of daemon $NAME was bound to virtio_blk again,
# waits for its disk (possibly under a new name) and sets DEV.
wait_rebound() {
    poll_until 10 _rebound_disk "$1" || fail "no block device after rebinding $1"
    DEV=/dev/$_disk
    log "rebound as $DEV"
}
# _rebound_disk VIRTIO: sets _disk to VIRTIO's disk (vdX) if it has one with a /dev node.
_rebound_disk() {
    _disk=$(ls "/sys/bus/vdpa/devices/$NAME/$1/block" 2>/dev/null || true)
    [ -n "$_disk" ] && [ -b "/dev/$_disk" ]
}

# --- reconnect helpers ---------------------------------------------------------------
STATE_DIR=${STATE_DIR:-/run/vduse-blk}

# expect_device_left: the VDUSE device and the guest's disk outlive the daemon. The daemon's
# stderr is kept in /tmp/daemon-NAME.all (start_daemon truncates the per-run file).
expect_device_left() {
    cat "$DAEMON_ERR" >>"/tmp/daemon-$NAME.all"
    [ -c "/dev/vduse/$NAME" ] || fail "/dev/vduse/$NAME vanished with the daemon"
    [ -b "$DEV" ] || fail "$DEV vanished with the daemon"
    [ -f "$STATE_DIR/$NAME.state" ] || fail "$STATE_DIR/$NAME.state missing after the daemon exited"
}

# crash_daemon: SIGKILL; the device must stay.
crash_daemon() {
    kill -KILL "$PID" || fail "cannot SIGKILL $PID"
    wait_gone "$PID" 10
    PID=""
    expect_device_left
}

# upgrade_exit_daemon: SIGUSR1 (exit, keep the device); rc 0, the device stays.
upgrade_exit_daemon() {
    kill -USR1 "$PID" || fail "cannot SIGUSR1 $PID"
    wait_gone "$PID" "$STOP_TIMEOUT"
    PID=""
    [ "$WAIT_RC" -eq 0 ] || fail "daemon $NAME exited rc=$WAIT_RC after SIGUSR1 (want 0); $(daemon_stderr)"
    expect_device_left
}

# restart_daemon ARGS...: serve the same name again; it must come back on the same disk.
restart_daemon() {
    _old=$DEV
    start_daemon "$NAME" "$@"
    expect_eq "disk after takeover" "$DEV" "$_old" >/dev/null
}

# expect_serve_refused WORDS ARGS...: `serve --name $NAME ARGS` exits 1 within 30 s with a
# one-line message containing WORDS.
expect_serve_refused() {
    _want=$1
    shift
    _rc=0
    timeout 30 "$VDUSE_BLK" serve --name "$NAME" "$@" >/tmp/refused.out 2>/tmp/refused.err || _rc=$?
    [ "$_rc" -eq 1 ] || fail "serve $* exited rc=$_rc (want 1): $(cat /tmp/refused.err)"
    grep -q -- "$_want" /tmp/refused.err || fail "serve $* said '$(cat /tmp/refused.err)' (want '$_want')"
    log "ok: refused ($(head -n1 /tmp/refused.err))"
}

# serve_fails RC NAME ARGS...: vduse-blk serve --name NAME ARGS... must exit
# with RC within 15 s, print nothing on stdout and exactly one stderr line,
# and leave no VDUSE device behind.  The stderr line is left in $ERRLINE.
ERRLINE=""
serve_fails() {
    _sf_want=$1 _sf_name=$2
    shift 2
    log "expect rc=$_sf_want: vduse-blk serve --name $_sf_name $*"
    _sf_t0=$(cut -d' ' -f1 /proc/uptime)
    _sf_rc=0
    timeout 30 "$VDUSE_BLK" serve --name "$_sf_name" "$@" >/tmp/serve-fails.out 2>/tmp/serve-fails.err </dev/null || _sf_rc=$?
    _sf_secs=$(awk -v a="$_sf_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
    ERRLINE=$(cat /tmp/serve-fails.err)
    [ "$_sf_rc" -eq "$_sf_want" ] || fail "serve $*: exit $_sf_rc after ${_sf_secs}s, want $_sf_want; stderr: '$ERRLINE'; stdout: '$(cat /tmp/serve-fails.out)'"
    awk -v s="$_sf_secs" 'BEGIN { exit !(s < 15) }' || fail "serve $*: took ${_sf_secs}s to fail"
    [ ! -s /tmp/serve-fails.out ] || fail "serve $*: printed on stdout: '$(cat /tmp/serve-fails.out)'"
    _sf_lines=$(wc -l </tmp/serve-fails.err)
    [ "$_sf_lines" -eq 1 ] || fail "serve $*: $_sf_lines stderr lines, want 1: '$ERRLINE'"
    [ ! -e "/dev/vduse/$_sf_name" ] || fail "serve $*: /dev/vduse/$_sf_name left behind"
    [ ! -e "/sys/bus/vdpa/devices/$_sf_name" ] || fail "serve $*: vdpa device $_sf_name left behind"
    log "ok: rc=$_sf_rc in ${_sf_secs}s: $ERRLINE"
}
# expect_msg TEXT: the last serve_fails line says TEXT.
expect_msg() {
    case "$ERRLINE" in *"$1"*) ;; *) fail "stderr '$ERRLINE' does not contain '$1'" ;; esac
}

# random_ms MIN MAX: a random number of milliseconds in [MIN, MAX).
random_ms() {
    _r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $(($1 + _r % ($2 - $1)))
}

# load_brd NR KIB: loads brd with NR RAM disks (/dev/ram0...) of KIB KiB each; unloaded when the
# scenario ends, last. brd takes its disk count and size only when loaded, so a scenario has one
# set: it loads all the disks it needs at once.
load_brd() {
    [ -f /lib/modules-vm/brd.ko ] || fail "/lib/modules-vm/brd.ko missing from the initramfs (fetch-kernel.sh WANTED list)"
    [ ! -d /sys/module/brd ] || fail "brd is already loaded (a previous scenario left it behind)"
    _out=$(insmod /lib/modules-vm/brd.ko rd_nr="$1" rd_size="$2" 2>&1) || fail "insmod brd.ko rd_nr=$1 rd_size=$2 failed: $_out"
    BRD_LOADED=1
    _lb_last=/dev/ram$(($1 - 1))
    wait_until 5 "$_lb_last after loading brd" test -b "$_lb_last"
    expect_eq "$_lb_last size (bytes)" "$(/usr/sbin/blockdev --getsize64 "$_lb_last")" $(($2 * 1024))
}

# unload_brd: rmmod brd now (it must succeed: nothing may still hold a RAM disk).
unload_brd() {
    rmmod brd || fail "rmmod brd failed (a RAM disk still in use?)"
    BRD_LOADED=0
    [ ! -d /sys/module/brd ] || fail "brd still loaded after rmmod"
    log "ok: brd unloaded"
}

# mount_brd_ext4 RAMDEV MNT: loads brd (one 256 MiB RAM disk, RAMDEV=/dev/ram0), makes ext4 on it
# and mounts it on MNT; unmounted and unloaded when the scenario ends. For file backends on a
# real (non-memory) file system, which go through io_uring rather than a shared mapping.
mount_brd_ext4() {
    load_brd 1 262144
    [ -b "$1" ] || fail "mount_brd_ext4: $1 is not the RAM disk brd made"
    /usr/sbin/mke2fs -t ext4 -b 4096 -F -q "$1" || fail "mke2fs -t ext4 on $1 failed"
    mkdir -p "$2"
    mount -t ext4 "$1" "$2" || fail "mount $1 on $2 failed"
    CLEANUP_MOUNTS=$2
}

# --- NBD servers and the kernel NBD client ----------------------------------------------------
# An ADDR is a TCP port on 127.0.0.1 (digits; lo is brought up) or a unix socket path (from /).
NBDKIT=/usr/bin/nbdkit QEMU_NBD=/usr/bin/qemu-nbd QEMU_IMG=/usr/bin/qemu-img NBD_CLIENT=/usr/sbin/nbd-client
NBDKIT_PID="" QEMU_NBD_PID=""

# _drop LIST WORD: the space-separated LIST without WORD.
_drop() {
    _dl=""
    for _w in $1; do [ "$_w" = "$2" ] || _dl="$_dl $_w"; done
    echo "$_dl"
}

# need_tool PATH: fails the scenario if the trixie tool PATH is not in the initramfs.
need_tool() {
    [ -x "$1" ] || fail "$1 missing from the initramfs (staged by scripts/vm/trixie-tools.sh from run.sh)"
}

# nbd_listening ADDR: something listens on ADDR (read from /proc/net: no connection is made, which
# a server could count as its one client).
nbd_listening() {
    case "$1" in
        /*) awk -v p="$1" '$4 == "00010000" && $NF == p { f = 1 } END { exit !f }' /proc/net/unix ;;
        *) awk -v a="0100007F:$(printf '%04X' "$1")" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp ;;
    esac
}

# _start_server WHAT ADDR CMD...: CMD in the background (output in /tmp/WHAT-ADDR.log, printed if
# the scenario fails), waits until it listens on ADDR; sets SERVER_PID. Fails if CMD exits first.
_start_server() {
    _ss_what=$1 _ss_addr=$2
    shift 2
    _ss_log=/tmp/$_ss_what-$(echo "$_ss_addr" | tr / _).log
    case "$_ss_addr" in
        /*) rm -f "$_ss_addr" ;; # nbdkit leaves its socket behind
        *[!0-9]* | "") fail "$_ss_what: '$_ss_addr' is neither a port nor a socket path" ;;
        *) loopback_up ;;
    esac
    ! nbd_listening "$_ss_addr" || fail "$_ss_what: something already listens on $_ss_addr"
    log "start: $*"
    "$@" >"$_ss_log" 2>&1 &
    SERVER_PID=$!
    NBD_SERVERS="$NBD_SERVERS $SERVER_PID" NBD_LOGS="$NBD_LOGS $_ss_log"
    poll_until "$READY_TIMEOUT" _server_up ||
        fail "$_ss_what not listening on $_ss_addr after ${READY_TIMEOUT}s (its log follows)"
    log "$_ss_what listening on $_ss_addr (pid $SERVER_PID)"
}
_server_up() {
    nbd_listening "$_ss_addr" && return 0
    proc_alive "$SERVER_PID" && return 1
    NBD_SERVERS=$(_drop "$NBD_SERVERS" "$SERVER_PID")
    _rc=0
    wait "$SERVER_PID" || _rc=$?
    fail "$_ss_what exited (rc=$_rc) before listening on $_ss_addr (its log follows)"
}

# stop_server PID WHAT: SIGTERM, and the server must exit 0 within STOP_TIMEOUT.
stop_server() {
    [ -n "$1" ] || fail "stop $2: not running"
    kill -TERM "$1" || fail "cannot signal $2 (pid $1)"
    poll_until "$STOP_TIMEOUT" proc_gone "$1" || fail "$2 (pid $1) still running ${STOP_TIMEOUT}s after SIGTERM"
    NBD_SERVERS=$(_drop "$NBD_SERVERS" "$1")
    _rc=0
    wait "$1" || _rc=$?
    [ "$_rc" -eq 0 ] || fail "$2 (pid $1) exited rc=$_rc after SIGTERM (want 0)"
    log "stopped: $2 (pid $1)"
}

# start_nbdkit ADDR ARGS...: nbdkit -f on ADDR with ARGS (filters, plugin, its parameters), e.g.
# start_nbdkit 10809 --filter=delay memory 64M delay-write=10ms; sets NBDKIT_PID.
start_nbdkit() {
    need_tool "$NBDKIT"
    _sn_addr=$1
    shift
    case "$_sn_addr" in
        /*) _start_server nbdkit "$_sn_addr" "$NBDKIT" -f -U "$_sn_addr" "$@" ;;
        *) _start_server nbdkit "$_sn_addr" "$NBDKIT" -f -i 127.0.0.1 -p "$_sn_addr" "$@" ;;
    esac
    NBDKIT_PID=$SERVER_PID
}
# stop_nbdkit [PID]: stops that nbdkit (default: the last started).
stop_nbdkit() {
    stop_server "${1:-$NBDKIT_PID}" nbdkit
    [ "${1:-$NBDKIT_PID}" != "$NBDKIT_PID" ] || NBDKIT_PID=""
}

# make_qcow2 IMAGE SIZE: an empty qcow2 image (SIZE as qemu-img takes it: 64M, 1G).
make_qcow2() {
    need_tool "$QEMU_IMG"
    _out=$("$QEMU_IMG" create -q -f qcow2 "$1" "$2" 2>&1) || fail "qemu-img create -f qcow2 $1 $2 failed: $_out"
}

# start_qemu_nbd ADDR IMAGE [ARGS...]: qemu-nbd serving the qcow2 IMAGE on ADDR to up to 8 clients
# at once and across reconnects (--shared=8 -t), ARGS before IMAGE; sets QEMU_NBD_PID.
start_qemu_nbd() {
    need_tool "$QEMU_NBD"
    _sq_addr=$1 _sq_img=$2
    shift 2
    [ -f "$_sq_img" ] || fail "start_qemu_nbd: no image $_sq_img (make_qcow2 first)"
    case "$_sq_addr" in
        /*) set -- -k "$_sq_addr" "$@" ;;
        *) set -- -b 127.0.0.1 -p "$_sq_addr" "$@" ;;
    esac
    _start_server qemu-nbd "$_sq_addr" "$QEMU_NBD" --shared=8 -t -f qcow2 "$@" "$_sq_img"
    QEMU_NBD_PID=$SERVER_PID
}
# stop_qemu_nbd [PID]: stops that qemu-nbd (default: the last started).
stop_qemu_nbd() {
    stop_server "${1:-$QEMU_NBD_PID}" qemu-nbd
    [ "${1:-$QEMU_NBD_PID}" != "$QEMU_NBD_PID" ] || QEMU_NBD_PID=""
}

# load_nbd [NBDS_MAX]: loads nbd (default 2 devices, /dev/nbd0...); unloaded when the scenario ends.
load_nbd() {
    [ -f /lib/modules-vm/nbd.ko ] || fail "/lib/modules-vm/nbd.ko missing from the initramfs (fetch-kernel.sh WANTED list)"
    [ ! -d /sys/module/nbd ] || fail "nbd is already loaded (a previous scenario left it behind)"
    _out=$(insmod /lib/modules-vm/nbd.ko nbds_max="${1:-2}" 2>&1) || fail "insmod nbd.ko nbds_max=${1:-2} failed: $_out"
    NBD_LOADED=1
    wait_until 5 "/dev/nbd0 after loading nbd" test -b /dev/nbd0
}

# nbd_attach DEV ADDR [ARGS...]: nbd-client connects DEV (/dev/nbdN) to the export "" on ADDR,
# with ARGS (e.g. -b 4096, -C 4 connections); waits until DEV has the export's size.
nbd_attach() {
    need_tool "$NBD_CLIENT"
    _na_dev=$1 _na_addr=$2
    shift 2
    [ -b "$_na_dev" ] || fail "$_na_dev is not a block device (load_nbd first)"
    case "$_na_addr" in
        /*) set -- -u "$_na_addr" "$_na_dev" -N '' "$@" ;;
        *) set -- 127.0.0.1 "$_na_addr" "$_na_dev" -N '' "$@" ;;
    esac
    _out=$("$NBD_CLIENT" "$@" 2>&1) || fail "nbd-client $* failed: $_out"
    NBD_ATTACHED="$NBD_ATTACHED $_na_dev"
    wait_until 10 "$_na_dev to get a size after nbd-client" _nbd_sized "$_na_dev"
    log "attached: $_na_dev to $_na_addr ($(/usr/sbin/blockdev --getsize64 "$_na_dev") bytes)"
}
_nbd_sized() { [ "$(cat "/sys/block/${1#/dev/}/size" 2>/dev/null || echo 0)" -gt 0 ]; }

# nbd_detach DEV: nbd-client -d DEV; waits until DEV has no size (disconnected).
nbd_detach() {
    _out=$("$NBD_CLIENT" -d "$1" 2>&1) || fail "nbd-client -d $1 failed: $_out"
    wait_until 10 "$1 to disconnect after nbd-client -d" _nbd_unsized "$1"
    NBD_ATTACHED=$(_drop "$NBD_ATTACHED" "$1")
    log "detached: $1"
}
_nbd_unsized() { ! _nbd_sized "$1"; }
