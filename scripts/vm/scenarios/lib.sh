# shellcheck shell=sh
# Shared helpers for the VM scenarios; sourced (". /scenarios/lib.sh"), never
# run as a scenario (the runner only runs files named [0-9]*.sh).
#
# Busybox sh runs its own applets for bare names even when a real tool comes
# first in PATH, so real tools are always called by full path:
#   /usr/bin/fio /usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/blockdev
#   /usr/sbin/losetup /usr/sbin/blkdiscard

VDUSE_BLK=${VDUSE_BLK:-/usr/bin/vduse-blk}
READY_TIMEOUT=${READY_TIMEOUT:-60} # seconds for the "ready" line
STOP_TIMEOUT=${STOP_TIMEOUT:-30}   # seconds for exit after SIGTERM

NAME="" DEV="" PID="" DAEMON_OUT="" DAEMON_ERR=""
CLEANUP_MOUNTS=""

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
    _i=0
    while [ "$_i" -lt "$((READY_TIMEOUT * 10))" ]; do
        _line=$(grep -m1 '^ready ' "$DAEMON_OUT" || true)
        if [ -n "$_line" ]; then
            # shellcheck disable=SC2086 # split "ready NAME /dev/vdX"
            set -- $_line
            if [ "$#" -ne 3 ] || [ "$2" != "$NAME" ]; then
                fail "bad ready line '$_line' (want 'ready $NAME /dev/vdX')"
            fi
            DEV=$3
            break
        fi
        if ! proc_alive "$PID"; then
            _rc=0
            wait "$PID" || _rc=$?
            PID=""
            fail "daemon $NAME exited (rc=$_rc) before ready; $(daemon_stderr)"
        fi
        usleep 100000
        _i=$((_i + 1))
    done
    if [ -z "$DEV" ]; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=""
        fail "daemon $NAME not ready after ${READY_TIMEOUT}s; $(daemon_stderr)"
    fi
    case "$DEV" in /dev/vd*) ;; *) fail "ready device '$DEV' is not /dev/vdX" ;; esac
    # The node is created with the disk; allow devtmpfs a moment anyway.
    _i=0
    while [ ! -b "$DEV" ] && [ "$_i" -lt 50 ]; do
        usleep 100000
        _i=$((_i + 1))
    done
    [ -b "$DEV" ] || fail "$DEV announced but is not a block device"
    log "ready: $NAME on $DEV (pid $PID)"
}

# Sysfs directory of the running disk, e.g. /sys/block/vda.
sysblk() { echo "/sys/block/${DEV#/dev/}"; }

# stop_daemon: SIGTERM, wait, expect rc 0 and every trace of the device gone.
stop_daemon() {
    [ -n "$PID" ] || fail "stop_daemon: no daemon running"
    log "stop: SIGTERM $NAME (pid $PID)"
    kill -TERM "$PID" || fail "cannot signal daemon $PID"
    _i=0
    while proc_alive "$PID" && [ "$_i" -lt "$((STOP_TIMEOUT * 10))" ]; do
        usleep 100000
        _i=$((_i + 1))
    done
    if proc_alive "$PID"; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=""
        fail "daemon $NAME still running ${STOP_TIMEOUT}s after SIGTERM; $(daemon_stderr)"
    fi
    _rc=0
    wait "$PID" || _rc=$?
    PID=""
    [ "$_rc" -eq 0 ] || fail "daemon $NAME exited rc=$_rc after SIGTERM (want 0); $(daemon_stderr)"
    [ ! -e "/dev/vduse/$NAME" ] || fail "/dev/vduse/$NAME still exists after exit (device not destroyed)"
    [ ! -e "/sys/bus/vdpa/devices/$NAME" ] || fail "/sys/bus/vdpa/devices/$NAME still exists after exit (not detached)"
    [ ! -e "$DEV" ] || fail "$DEV still exists after exit"
    log "stopped: $NAME clean"
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
        _i=0
        while proc_alive "$PID" && [ "$_i" -lt 100 ]; do
            usleep 100000
            _i=$((_i + 1))
        done
        kill -KILL "$PID" 2>/dev/null || true
        if [ "$_rc" -ne 0 ]; then daemon_stderr >&2; fi
    fi
    exit "$_rc"
}
trap _lib_cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$VDUSE_BLK" ] || fail "$VDUSE_BLK missing"
[ -c /dev/vduse/control ] || fail "/dev/vduse/control missing (is the vduse module loaded?)"
