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
# brd loaded by load_brd (unloaded last, after the NVMe targets that may serve its disks).
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
    case "$DEV" in
        /dev/vd*)
            # The node is created with the disk; allow devtmpfs a moment anyway.
            wait_until 5 "$DEV (announced ready) to be a block device" test -b "$DEV"
            ;;
        /dev/vhost-vdpa-*) wait_until 5 "$DEV (announced ready) to be a character device" test -c "$DEV" ;;
        *) fail "ready device '$DEV' is not /dev/vdX or /dev/vhost-vdpa-N" ;;
    esac
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
    if [ "$UPGRADED" = 1 ]; then
        # Not this shell's child: no status to wait for; its log says whether the teardown finished.
        poll_until "$STOP_TIMEOUT" proc_gone "$PID" || fail "daemon $NAME (pid $PID) still running $STOP_TIMEOUT s after $1; $(daemon_stderr)"
        WAIT_RC=0
        tail -n 3 "$DAEMON_ERR" | grep -q "served [0-9]* requests" || WAIT_RC=1
        UPGRADED=0
    else
        wait_gone "$PID" "$STOP_TIMEOUT" "daemon $NAME after $1"
    fi
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
# has completed requests since START began (polled every 0.1 s from START's return).
# A job that ends before is reaped (WAIT_RC is its status), AGAIN runs (a check of the finished
# job), and unless it failed START runs again, TRIES times at most. The scenario fails after that,
# and when the job runs 60 s without I/O completing on $DEV.
io_moment() {
    _mo_tries=$1 _mo_what=$2 _mo_start=$3 _mo_again=${4:-}
    MOMENT_TRY=1
    while :; do
        JOB_PID=""
        # Counted before START: a short job (mke2fs on a fast host) may do all its I/O during
        # START's own wait, and counting after it would miss that I/O every time.
        IO_SEEN=$(dev_requests)
        "$_mo_start"
        [ -n "$JOB_PID" ] || fail "io_moment: $_mo_start set no JOB_PID"
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
    _nvme_cleanup
    # The RAM disks last: mounts and NVMe namespaces on them are gone by now.
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
    [ -b "$DEV" ] || [ -c "$DEV" ] || fail "$DEV vanished with the daemon"
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

# UPGRADED is 1 while $PID is a daemon `vduse-blk upgrade` started: not this shell's child, so its
# exit status cannot be waited for.
UPGRADED=0

# upgrade_daemon [ARGS...]: `vduse-blk upgrade $NAME ARGS...` must exit 0 with "upgraded NAME pid N"
# while the old daemon exits (rc 0 when it is this shell's child) and N serves. Sets PID to N and
# UPGRADE_MS to the command's wall time.
upgrade_daemon() {
    _ud_old=$PID
    _ud_t0=$(uptime_ms)
    _ud_rc=0
    "$VDUSE_BLK" upgrade "$NAME" --state-dir "$STATE_DIR" "$@" >/tmp/upgrade.out 2>/tmp/upgrade.err || _ud_rc=$?
    UPGRADE_MS=$(($(uptime_ms) - _ud_t0))
    [ "$_ud_rc" -eq 0 ] || fail "vduse-blk upgrade $NAME exited rc=$_ud_rc: $(cat /tmp/upgrade.err); $(daemon_stderr)"
    _ud_line=$(cat /tmp/upgrade.out)
    # shellcheck disable=SC2086 # split "upgraded NAME pid N"
    set -- $_ud_line
    { [ "$#" -eq 4 ] && [ "$1" = upgraded ] && [ "$2" = "$NAME" ] && [ "$3" = pid ]; } || fail "bad upgrade line '$_ud_line' (want 'upgraded $NAME pid N')"
    PID=$4
    if [ "$UPGRADED" = 1 ]; then
        poll_until "$STOP_TIMEOUT" proc_gone "$_ud_old" || fail "the old daemon (pid $_ud_old) still runs after the upgrade"
    else
        wait_gone "$_ud_old" "$STOP_TIMEOUT" "the old daemon after the upgrade"
        [ "$WAIT_RC" -eq 0 ] || fail "the old daemon exited rc=$WAIT_RC after the upgrade (want 0); $(daemon_stderr)"
    fi
    UPGRADED=1
    proc_alive "$PID" || fail "the new daemon (pid $PID) is not running after the upgrade; $(daemon_stderr)"
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
# scenario ends, last (after its NVMe targets, which hold their namespaces' disks). brd takes its
# disk count and size only when loaded, so a scenario has one set: it loads all the disks it needs
# at once.
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
        *) tcp_listening "$1" ;;
    esac
}
# tcp_listening PORT: a socket (a process's or the kernel's, like nvmet's) listens on 127.0.0.1:PORT.
tcp_listening() {
    awk -v a="0100007F:$(printf '%04X' "$1")" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
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

# --- NVMe/TCP: the kernel's target (nvmet) and host (nvme_tcp) ---------------------------------
# Not loaded at boot (guest/init's LAZY_MODULES): a scenario loads what it uses, and what it loaded
# is torn down and unloaded when it ends (host controllers, then targets, then the modules), so the
# next scenario starts from nothing. A target is a subsystem NQN with namespaces (block devices,
# e.g. load_brd's RAM disks) linked to a TCP port on 127.0.0.1 whose configfs port ID is the TCP
# port number. Trixie builds nvme_core, nvme_keyring and nvme_auth in; configfs is a module.
NVMET_CFS=/sys/kernel/config/nvmet
NVME_LOADED=""     # modules this scenario loaded, last loaded first (the order rmmod needs)
NVMET_TARGETS=""   # PORT/NQN of targets started and not stopped
NVMET_HOSTS=""     # hosts/HOSTNQN entries nvmet_allow_host made
NVME_CTRLS=""      # controllers (nvmeN) nvme_host_connect made and nvme_host_disconnect did not delete
NVME_CTRL="" NVME_DEV="" # the last connected controller and its namespace's disk

# _load_lazy MODULE...: insmod each module (lazy in guest/init) not loaded yet, in the given order
# (dependencies first); remembers them for unloading.
_load_lazy() {
    for _m in "$@"; do
        [ ! -d "/sys/module/$_m" ] || continue
        [ -f "/lib/modules-vm/$_m.ko" ] || fail "/lib/modules-vm/$_m.ko missing from the initramfs (fetch-kernel.sh WANTED list)"
        _out=$(insmod "/lib/modules-vm/$_m.ko" 2>&1) || fail "insmod $_m.ko failed: $_out"
        NVME_LOADED="$_m $NVME_LOADED"
    done
}

# load_nvmet: the NVMe target with its TCP transport, and configfs mounted on /sys/kernel/config.
# Fails if configfs still holds a subsystem, port or host (left by an earlier scenario).
load_nvmet() {
    _load_lazy configfs nvmet nvmet_tcp
    if ! grep -q ' /sys/kernel/config configfs ' /proc/mounts; then
        mount -t configfs configfs /sys/kernel/config || fail "cannot mount configfs on /sys/kernel/config"
    fi
    [ -d "$NVMET_CFS" ] || fail "$NVMET_CFS missing after loading nvmet"
    _left=$(nvmet_configfs_left)
    [ -z "$_left" ] || fail "nvmet configfs not empty before the scenario:$_left"
}

# load_nvme_host: the kernel's NVMe/TCP host (nvme_fabrics makes /dev/nvme-fabrics).
load_nvme_host() {
    _load_lazy nvme_fabrics nvme_tcp
    wait_until 5 "/dev/nvme-fabrics after loading nvme_fabrics" test -c /dev/nvme-fabrics
}

# nvmet_configfs_left: prints " subsystems/X ports/N hosts/H" for every entry left in nvmet's
# configfs (nothing when it is empty).
nvmet_configfs_left() {
    for _d in subsystems ports hosts; do
        for _e in "$NVMET_CFS/$_d"/*; do
            [ -e "$_e" ] && printf ' %s' "$_d/${_e##*/}"
        done
    done
    return 0
}

# _write_attr FILE VALUE: VALUE into a configfs or sysfs attribute, failing with what the kernel said.
_write_attr() {
    _out=$( (echo "$2" >"$1") 2>&1) || fail "echo '$2' > $1 failed: ${_out##*: }"
}

# start_nvmet_target NQN PORT DEVICE [NSID]: subsystem NQN (any host allowed) with namespace NSID
# (default 1) on the block device DEVICE, linked to a TCP port on 127.0.0.1:PORT (made unless a
# target already made it); waits until the port listens.
start_nvmet_target() {
    [ -d "$NVMET_CFS" ] || fail "start_nvmet_target: no $NVMET_CFS (load_nvmet first)"
    case "$2" in *[!0-9]* | "") fail "start_nvmet_target: port '$2' is not a number" ;; esac
    [ -b "$3" ] || fail "start_nvmet_target: $3 is not a block device"
    _sub=$NVMET_CFS/subsystems/$1
    [ ! -e "$_sub" ] || fail "start_nvmet_target: subsystem $1 already exists"
    mkdir "$_sub" || fail "nvmet: cannot create subsystem $1"
    NVMET_TARGETS="$NVMET_TARGETS $2/$1"
    _write_attr "$_sub/attr_allow_any_host" 1
    nvmet_add_namespace "$1" "${4:-1}" "$3"
    _nvmet_port "$2"
    nvmet_link_port "$1" "$2"
    log "nvmet: $1 (namespace ${4:-1} on $3) on 127.0.0.1:$2"
}

# nvmet_add_namespace NQN NSID DEVICE: one more namespace (enabled) in subsystem NQN.
nvmet_add_namespace() {
    _ns=$NVMET_CFS/subsystems/$1/namespaces/$2
    mkdir "$_ns" || fail "nvmet: cannot create namespace $2 of $1"
    _write_attr "$_ns/device_path" "$3"
    _write_attr "$_ns/enable" 1
}

# _nvmet_port PORT: the TCP port 127.0.0.1:PORT (configfs port ID PORT), unless it exists.
_nvmet_port() {
    _port=$NVMET_CFS/ports/$1
    [ ! -d "$_port" ] || return 0
    loopback_up
    ! tcp_listening "$1" || fail "nvmet: something already listens on 127.0.0.1:$1"
    mkdir "$_port" || fail "nvmet: cannot create port $1"
    _write_attr "$_port/addr_trtype" tcp
    _write_attr "$_port/addr_adrfam" ipv4
    _write_attr "$_port/addr_traddr" 127.0.0.1
    _write_attr "$_port/addr_trsvcid" "$1"
}

# nvmet_allow_host NQN HOSTNQN: only HOSTNQN (and hosts allowed before) may connect to NQN.
nvmet_allow_host() {
    _host=$NVMET_CFS/hosts/$2
    if [ ! -d "$_host" ]; then
        mkdir "$_host" || fail "nvmet: cannot create host $2"
        NVMET_HOSTS="$NVMET_HOSTS $2"
    fi
    # nvmet refuses allowed hosts while any host is allowed.
    _write_attr "$NVMET_CFS/subsystems/$1/attr_allow_any_host" 0
    ln -s "$_host" "$NVMET_CFS/subsystems/$1/allowed_hosts/$2" || fail "nvmet: cannot allow $2 on $1"
}

# nvmet_link_port NQN PORT: links subsystem NQN to port PORT; the port listens from its first link.
nvmet_link_port() {
    ln -s "$NVMET_CFS/subsystems/$1" "$NVMET_CFS/ports/$2/subsystems/$1" ||
        fail "nvmet: cannot link $1 to port $2"
    wait_until 10 "nvmet to listen on 127.0.0.1:$2" tcp_listening "$2"
}

# nvmet_unlink_port NQN PORT: removes NQN's link on PORT. nvmet deletes the controllers of NQN
# on PORT (their connections close at once), and when it was the port's last link stops listening.
nvmet_unlink_port() {
    rm "$NVMET_CFS/ports/$2/subsystems/$1" || fail "nvmet: cannot unlink $1 from port $2"
    if _nvmet_port_unused "$2"; then
        wait_until 10 "nvmet to stop listening on 127.0.0.1:$2" _tcp_not_listening "$2"
    fi
}
_nvmet_port_unused() { ! ls "$NVMET_CFS/ports/$1/subsystems/"* >/dev/null 2>&1; }
_tcp_not_listening() { ! tcp_listening "$1"; }

# stop_nvmet_target NQN PORT: unlinks NQN from PORT (removing the port once no subsystem is linked
# to it), disables and removes its namespaces, its allowed hosts' links and the subsystem; hosts
# nvmet_allow_host made for it go once no subsystem uses them.
stop_nvmet_target() {
    _sub=$NVMET_CFS/subsystems/$1
    [ -d "$_sub" ] || fail "stop_nvmet_target: no subsystem $1"
    if [ -L "$NVMET_CFS/ports/$2/subsystems/$1" ]; then nvmet_unlink_port "$1" "$2"; fi
    if [ -d "$NVMET_CFS/ports/$2" ] && _nvmet_port_unused "$2"; then
        rmdir "$NVMET_CFS/ports/$2" || fail "nvmet: cannot remove port $2"
    fi
    for _ns in "$_sub"/namespaces/*; do
        [ -d "$_ns" ] || continue
        _write_attr "$_ns/enable" 0
        rmdir "$_ns" || fail "nvmet: cannot remove namespace ${_ns##*/} of $1"
    done
    for _h in "$_sub"/allowed_hosts/*; do
        [ -L "$_h" ] || continue
        rm "$_h" || fail "nvmet: cannot remove allowed host ${_h##*/} of $1"
    done
    rmdir "$_sub" || fail "nvmet: cannot remove subsystem $1"
    NVMET_TARGETS=$(_drop "$NVMET_TARGETS" "$2/$1")
    # A host still allowed on another subsystem stays (rmdir refuses it while it is linked).
    for _h in $NVMET_HOSTS; do
        if rmdir "$NVMET_CFS/hosts/$_h" 2>/dev/null; then NVMET_HOSTS=$(_drop "$NVMET_HOSTS" "$_h"); fi
    done
    log "nvmet: stopped $1 on port $2"
}

# nvme_host_connect NQN PORT [HOSTNQN [OPTION...]]: the kernel host connects to NQN on
# 127.0.0.1:PORT through /dev/nvme-fabrics. HOSTNQN is the host's NQN ("" or none: the kernel's
# default); an OPTION is one of the kernel's connect options, key=value or a flag (e.g.
# reconnect_delay=1 ctrl_loss_tmo=30 nr_io_queues=2 hdr_digest data_digest). The write returns
# once the admin and I/O queues are connected. Sets NVME_CTRL (nvmeN) and NVME_DEV (the disk of
# its first namespace, /dev/nvmeXnY) once that has a size. With nothing listening the write fails
# at once (ECONNREFUSED), with a subsystem or host nvmet refuses after the Connect (EIO; the
# kernel log, quoted in the message, says why).
nvme_host_connect() {
    [ -c /dev/nvme-fabrics ] || fail "nvme_host_connect: no /dev/nvme-fabrics (load_nvme_host first)"
    loopback_up
    _hc_nqn=$1 _hc_port=$2
    _opts="transport=tcp,traddr=127.0.0.1,trsvcid=$2,nqn=$1"
    shift 2
    _hc_host=${1:-}
    [ "$#" -eq 0 ] || shift
    if [ -n "$_hc_host" ]; then
        _opts="$_opts,hostnqn=$_hc_host"
        case " $* " in *" hostid="*) ;; *) _opts="$_opts,hostid=$(_nvme_hostid "$_hc_host")" ;; esac
    fi
    for _o in "$@"; do _opts="$_opts,$_o"; done
    _reply=$(_nvmf_write "$_opts") ||
        fail "nvme connect '$_opts' failed: $_reply (kernel: $(dmesg | grep nvme | tail -n2 | sed 's/^\[[^]]*\] //' | tr '\n' ';'))"
    case "$_reply" in
        instance=*,cntlid=*) ;;
        *) fail "nvme connect '$_opts': /dev/nvme-fabrics answered '$_reply' (want instance=N,cntlid=M)" ;;
    esac
    _inst=${_reply#instance=}
    NVME_CTRL=nvme${_inst%%,*}
    NVME_CTRLS="$NVME_CTRLS $NVME_CTRL"
    NVME_DEV=""
    wait_until 10 "a disk with a size on $NVME_CTRL" _nvme_ctrl_disk "$NVME_CTRL"
    log "nvme: $NVME_CTRL ($_reply, $(nvme_ctrl_state "$NVME_CTRL")) to $_hc_nqn on 127.0.0.1:$_hc_port: $NVME_DEV ($(/usr/sbin/blockdev --getsize64 "$NVME_DEV") bytes)"
}

# _nvmf_write OPTIONS: writes OPTIONS to /dev/nvme-fabrics in one write and prints what the same
# open file reads back ("instance=N,cntlid=M"); on failure prints the error and returns 1. dd does
# the write (on the shell's fd 3, as its stdout) because it reports the errno, which the shell's
# printf does not.
_nvmf_write() {
    (
        exec 3<>/dev/nvme-fabrics || exit 1
        _err=$(printf '%s' "$1" | dd bs=4096 count=1 status=none 2>&1 >&3) || {
            _err=$(echo "$_err" | sed -n 1p)
            echo "${_err##*: }"
            exit 1
        }
        read -r _l <&3 || { echo "nothing to read back"; exit 1; }
        echo "$_l"
    ) 2>&1
}

# _nvme_hostid HOSTNQN: the host ID to connect as HOSTNQN with. The kernel refuses a host NQN
# other than its default with the default's host ID ("found same hostid ... but different
# hostnqn"), and one host NQN with two host IDs: the UUID of an nqn.2014-08.org.nvmexpress:uuid:
# NQN, else one made from the NQN's sha256, so the same NQN always gets the same ID.
_nvme_hostid() {
    case "$1" in
        nqn.2014-08.org.nvmexpress:uuid:*) echo "${1#nqn.2014-08.org.nvmexpress:uuid:}" ;;
        *)
            _h=$(printf '%s' "$1" | sha256sum)
            echo "$_h" | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/'
            ;;
    esac
}

# _nvme_ctrl_disk CTRL: sets NVME_DEV to the first namespace disk CTRL serves once it has a /dev
# node and a size. Native multipath is built in (CONFIG_NVME_MULTIPATH=y), so the disk belongs to
# the subsystem: nvme<K>n<I>, K the subsystem's instance (not the controller's) and I a count of
# the subsystem's namespaces (not the NSID), listed in /sys/class/nvme-subsystem/nvme-subsysK next
# to a link to each of its controllers; the controller's own nvme<N>c<cntlid>n<I> is a hidden path
# without a /dev node. Without multipath the disk would be the controller's: the second loop.
_nvme_ctrl_disk() {
    for _s in /sys/class/nvme-subsystem/*; do
        [ -e "$_s/$1" ] || continue
        for _d in "$_s"/nvme*n*; do _nvme_sized_disk "${_d##*/}" && return 0; done
    done
    for _d in "/sys/class/nvme/$1"/nvme*n*; do _nvme_sized_disk "${_d##*/}" && return 0; done
    return 1
}
# _nvme_sized_disk NAME: NAME is a disk with a /dev node and a size: sets NVME_DEV.
_nvme_sized_disk() {
    [ -b "/dev/$1" ] && [ "$(cat "/sys/block/$1/size" 2>/dev/null || echo 0)" -gt 0 ] || return 1
    NVME_DEV=/dev/$1
}

# nvme_host_disconnect [CTRL]: deletes the controller (default NVME_CTRL) through its
# delete_controller; waits until it and its disk are gone.
# shellcheck disable=SC2120 # CTRL is for scenarios with more than one controller
nvme_host_disconnect() {
    _c=${1:-$NVME_CTRL}
    [ -e "/sys/class/nvme/${_c:-?}/delete_controller" ] || fail "nvme_host_disconnect: no controller '$_c'"
    _write_attr "/sys/class/nvme/$_c/delete_controller" 1
    wait_until 10 "/sys/class/nvme/$_c to go after delete_controller" _gone "/sys/class/nvme/$_c"
    NVME_CTRLS=$(_drop "$NVME_CTRLS" "$_c")
    if [ "$_c" = "$NVME_CTRL" ]; then
        [ -z "$NVME_DEV" ] || wait_until 10 "$NVME_DEV to go with $_c" _gone "$NVME_DEV"
        NVME_CTRL="" NVME_DEV=""
    fi
    log "nvme: $_c disconnected"
}
_gone() { [ ! -e "$1" ]; }

# nvme_ctrl_state [CTRL]: the controller's state (live, connecting, resetting, deleting...).
nvme_ctrl_state() { cat "/sys/class/nvme/${1:-$NVME_CTRL}/state" 2>/dev/null || echo gone; }

# unload_nvme: rmmod the NVMe modules this scenario loaded (configfs unmounted first); fails if
# one is still in use: a controller, port or subsystem left behind.
unload_nvme() {
    case " $NVME_LOADED " in
        *" configfs "*) umount /sys/kernel/config || fail "cannot unmount configfs (still in use?)" ;;
    esac
    for _m in $NVME_LOADED; do
        rmmod "$_m" || fail "rmmod $_m failed (still in use: refcnt $(cat "/sys/module/$_m/refcnt" 2>/dev/null))"
        NVME_LOADED=$(_drop "$NVME_LOADED" "$_m")
    done
    log "ok: NVMe modules unloaded"
}

# _nvme_cleanup: for _lib_cleanup (quiet, never fails): host controllers, targets, hosts, then
# the modules this scenario loaded (configfs unmounted first).
_nvme_cleanup() {
    for _c in $NVME_CTRLS; do
        echo 1 >"/sys/class/nvme/$_c/delete_controller" 2>/dev/null || true
    done
    for _t in $NVMET_TARGETS; do
        (stop_nvmet_target "${_t#*/}" "${_t%%/*}") >/dev/null 2>&1 || true
    done
    for _h in $NVMET_HOSTS; do rmdir "$NVMET_CFS/hosts/$_h" 2>/dev/null || true; done
    [ -n "$NVME_LOADED" ] || return 0
    case " $NVME_LOADED " in *" configfs "*) umount /sys/kernel/config 2>/dev/null || true ;; esac
    # A controller or port being torn down still holds its module for a moment.
    for _m in $NVME_LOADED; do poll_until 5 rmmod "$_m" 2>/dev/null || true; done
}

# expect_discard_and_zeroes PATTERN: a 4 MiB random pattern (kept in the file PATTERN) written at 0,
# 1M..2M discarded and 2M..3M zeroed (blkdiscard -z): both read back as zeroes, 0..1M and 3M..4M are
# still the pattern. DISCARD and WRITE_ZEROES must be offered.
expect_discard_and_zeroes() {
    _q=$(sysblk)/queue
    [ "$(sysval "$_q/discard_max_bytes")" -gt 0 ] || fail "DISCARD is not offered"
    [ "$(sysval "$_q/write_zeroes_max_bytes")" -gt 0 ] || fail "WRITE_ZEROES is not offered"
    dd if=/dev/urandom of="$1" bs=1M count=4 status=none
    dd if="$1" of="$DEV" bs=1M oflag=direct conv=fsync status=none || fail "pattern write to $DEV failed"
    /usr/sbin/blkdiscard -o 1048576 -l 1048576 "$DEV" || fail "blkdiscard failed"
    /usr/sbin/blkdiscard -z -o 2097152 -l 1048576 "$DEV" || fail "blkdiscard -z failed"
    expect_zero "discarded 1M..2M" "$DEV" 1048576 1048576 direct
    expect_zero "zeroed 2M..3M" "$DEV" 2097152 1048576 direct
    expect_eq "0..1M still the pattern" "$(range_sha "$DEV" 0 1048576 direct)" "$(range_sha "$1" 0 1048576)"
    expect_eq "3M..4M still the pattern" "$(range_sha "$DEV" 3145728 1048576 direct)" "$(range_sha "$1" 3145728 1048576)"
}

# --- fault scenarios (91-nbd-faults, 94-nvme-faults) --------------------------------------------------

# count_matches PATTERN FILE: lines of FILE matching PATTERN (grep -E).
count_matches() { grep -c -E "$1" "$2" || true; }
# median FILE / maximum FILE: of one number per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { sort -n "$1" | tail -n1; }
# uptime_ms: /proc/uptime in milliseconds.
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# fio_clat_max_ms FIO-OUTPUT: the worst completion latency (ms) of fio's JSON output, reads and writes.
fio_clat_max_ms() {
    awk '/"clat_ns"/ { c = 1 } c && /"max"/ { v = $3; gsub(/[^0-9]/, "", v); if (v + 0 > m) m = v + 0; c = 0 }
        END { printf "%.1f", m / 1e6 }' "$1"
}
# expect_io_flows SECONDS WHAT: $DEV completes requests within SECONDS.
expect_io_flows() {
    IO_SEEN=$(dev_requests)
    wait_until "$1" "requests to complete on $DEV ($2)" _io_flows
}
_io_flows() { [ "$(dev_requests)" != "$IO_SEEN" ]; }

# fio_across_outages OUT TIMES WHAT DOWN UP: a 20 s fio crc32c verify (randwrite 4k, iodepth 16, 2
# jobs; normal and JSON output in OUT) while the server goes away TIMES times: the function DOWN takes
# it down, UP brings it back 1-2 s later; the daemon must live through it, I/O must flow again after
# each outage and fio must end clean. WHAT names an outage in the log ("server restart").
fio_across_outages() {
    _fo_out=$1 _fo_times=$2 _fo_what=$3 _fo_down=$4 _fo_up=$5
    log "fio randwrite verify=crc32c bs=4k iodepth=16 2 jobs, 20 s, with $_fo_times outages ($_fo_what)"
    /usr/bin/fio --name=outages --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
        --iodepth=16 --numjobs=2 --size=8M --offset_increment=8M --time_based --runtime=20 \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 \
        --group_reporting --output-format=normal,json >"$_fo_out" 2>&1 &
    _fo_fio=$!
    expect_io_flows 30 "fio started"
    _fo_n=0
    while [ "$_fo_n" -lt "$_fo_times" ]; do
        usleep $(($(random_ms 1500 3000) * 1000))
        proc_alive "$_fo_fio" || { cat "$_fo_out"; fail "fio ended before $_fo_what $((_fo_n + 1)) (the job is too short)"; }
        "$_fo_down"
        _fo_t0=$(uptime_ms)
        _fo_ms=$(random_ms 1000 2000)
        log "$_fo_what $((_fo_n + 1))/$_fo_times during fio: back in $_fo_ms ms"
        usleep $((_fo_ms * 1000))
        proc_alive "$PID" || fail "the daemon died during $_fo_what $((_fo_n + 1)); $(daemon_stderr)"
        "$_fo_up"
        _fo_n=$((_fo_n + 1))
        expect_io_flows 30 "after $_fo_what $_fo_n"
        log "I/O flows again $(($(uptime_ms) - _fo_t0)) ms after $_fo_what $_fo_n began"
    done
    wait_gone "$_fo_fio" 120 "fio"
    grep -E 'err=|IOPS=|  clat \(' "$_fo_out" || true
    expect_fio_clean "fio across $_fo_times outages ($_fo_what)" "$_fo_out" "$WAIT_RC"
    proc_alive "$PID" || fail "the daemon exited; $(daemon_stderr)"
}

# sigkill_takeovers DIR KILLS QUEUES ARGS...: under rounds of fio crc32c verify (randwrite of
# KILL_BS, 4k unless set, iodepth 32, 2 jobs of KILL_SIZE, 12M unless set),
# SIGKILLs the daemon KILLS times (up to KILLS more until one catches requests in flight) and serves
# the device again with ARGS each time: every restart takes over QUEUES queues, every fio round ends
# clean, no request fails. Sets KILLED, TAKEN (queue takeovers) and CAUGHT (requests resubmitted).
sigkill_takeovers() {
    _sk_dir=$1 _sk_kills=$2 _sk_queues=$3
    shift 3
    KILLED=0 TAKEN=0 CAUGHT=0 _sk_round=0
    _sk_fio_round
    while [ "$KILLED" -lt "$_sk_kills" ] || { [ "$CAUGHT" -eq 0 ] && [ "$KILLED" -lt $((_sk_kills * 2)) ]; }; do
        usleep $(($(random_ms 200 1500) * 1000))
        if ! proc_alive "$_sk_fio"; then
            _sk_fio_check
            _sk_fio_round
            continue
        fi
        crash_daemon
        KILLED=$((KILLED + 1))
        log "SIGKILL $KILLED of vduse-blk during fio round $_sk_round"
        restart_daemon "$@"
        # "ready" after a takeover comes once every queue runs again.
        _sk_n=$(count_matches "taken over: " "$DAEMON_ERR")
        [ "$_sk_n" -eq "$_sk_queues" ] || fail "ready after $_sk_n queue takeover(s), want $_sk_queues; $(daemon_stderr)"
        TAKEN=$((TAKEN + _sk_n))
        CAUGHT=$((CAUGHT + $({ grep -o "taken over: [0-9]*" "$DAEMON_ERR" || true; } | awk '{ s += $3 } END { print s + 0 }')))
    done
    _sk_fio_check
    log "vduse-blk: $KILLED kills, $TAKEN queue takeovers, $CAUGHT request(s) in flight resubmitted"
    [ "$CAUGHT" -gt 0 ] || fail "none of the $KILLED kills caught a request in flight (0 resubmitted)"
    expect_eq "I/O errors across the takeovers" "$(json_total "$(stats_json)" io_errors)" 0
}
_sk_fio_round() {
    _sk_round=$((_sk_round + 1))
    _sk_out=$_sk_dir/fio-kill-$_sk_round.txt
    /usr/bin/fio --name=crash --filename="$DEV" --ioengine=libaio --direct=1 \
        --rw=randwrite --bs="${KILL_BS:-4k}" --iodepth=32 --numjobs=2 --size="${KILL_SIZE:-12M}" --offset_increment="${KILL_SIZE:-12M}" \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 \
        --group_reporting >"$_sk_out" 2>&1 &
    _sk_fio=$!
}
_sk_fio_check() {
    wait_gone "$_sk_fio" 600 "fio round $_sk_round"
    grep -E 'err=|IOPS=' "$_sk_out" || true
    expect_fio_clean "fio round $_sk_round" "$_sk_out" "$WAIT_RC"
}

# --- vhost-vdpa (95-vhost-interop) -------------------------------------------------------------------

# load_vhost_vdpa: vhost and vhost_vdpa (lazy in guest/init: loaded with virtio_vdpa, either may bind
# a new vDPA device), unloaded at the scenario's end like the NVMe modules.
load_vhost_vdpa() {
    _load_lazy vhost vhost_vdpa
    [ -d /sys/bus/vdpa/drivers/vhost_vdpa ] || fail "vhost_vdpa loaded but not registered on the vdpa bus"
}

# qemu_io_vhost DEV COMMAND...: trixie's qemu-io on DEV through libblkio's virtio-blk-vhost-vdpa
# driver, one -c per COMMAND; fails with its output unless every command succeeded.
qemu_io_vhost() {
    _qd=$1
    shift
    _n=$#
    for _cmd in "$@"; do set -- "$@" -c "$_cmd"; done
    shift "$_n"
    _out=$(/usr/bin/qemu-io --image-opts "driver=virtio-blk-vhost-vdpa,path=$_qd,cache.direct=on" "$@" 2>&1) ||
        fail "qemu-io on $_qd failed: $_out"
    case "$_out" in *"Pattern verification failed"* | *"failed:"* | *"rror"*) fail "qemu-io on $_qd: $_out" ;; esac
    echo "$_out"
}
