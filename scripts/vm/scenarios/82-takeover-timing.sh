#!/bin/sh
# Takeover timing (issue 16), vduse-blk side by side with qemu-storage-daemon's own reconnect: under
# rounds of fio 4k random writes (iodepth 32, 2 jobs on 2 queues, crc32c verify) each daemon is
# SIGKILLed and started again KILLS times (default 10), right after its predecessor is reaped.
#   vduse-blk: --ram 64M --queues 2 --log-level debug; "ready" is its own timeline's "ready printed"
#     (ms since the process started, StartupClock), and the whole timeline of every restart is kept.
#   qsd: trixie's qemu-storage-daemon --export type=vduse-blk of a tmpfs file, the same export name
#     again after each kill (libvduse re-attaches to the existing VDUSE device); it prints nothing
#     when back, so its "ready" is when the disk completes requests again.
# For both, io_back is measured the same way from outside: start of the new process to the disk's
# request count moving (polled every 10 ms with shell builtins, /proc/uptime resolution 10 ms).
# exit_ms is SIGKILL to the killed process reaped (the kernel's teardown, before any restart).
# Prints one line per daemon:
#   takeover-timing: daemon=D ready_ms p50=.. max=.. io_back_ms p50=.. max=.. exit_ms p50=.. max=..
#     worst_latency_ms=.. rounds=(fio's worst per round)
# and the ratios to the issue's targets. Fails on any fio error or failed verify, a daemon that does
# not come back, or I/O errors; never on the timings themselves (the host is shared and noisy).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

KILLS=${TAKEOVER_KILLS:-10}
QSD=/usr/bin/qemu-storage-daemon
VDPA=/usr/sbin/vdpa
dir=/tmp/vt82
rm -rf "$dir"
mkdir -p "$dir"

# now_ms: sets NOW to /proc/uptime in ms, with builtins ("1" before the two decimals keeps "08" from
# reading as octal).
now_ms() {
    read -r _nm_up _ </proc/uptime
    NOW=$((${_nm_up%.*} * 1000 + (1${_nm_up#*.} - 100) * 10))
}

# _requests: sets REQS to the reads, writes, flushes and discards completed on $DEV, with builtins
# only (no fork: under TCG every process the poll starts takes CPU from the daemon being timed).
_requests() {
    read -r _r1 _ _ _ _r5 _ _ _ _ _ _ _r12 _ _ _ _r16 _ <"/sys/block/${DEV#/dev/}/stat"
    REQS=$((_r1 + _r5 + _r12 + ${_r16:-0}))
}
# _fio_alive: the fio round runs (its /proc stat state is not Z or X), with builtins only.
_fio_alive() {
    _fa_state=Z
    read -r _ _ _fa_state _ 2>/dev/null <"/proc/$FIO_PID/stat" || true
    [ "$_fa_state" != Z ] && [ "$_fa_state" != X ]
}
# _io_back T0 BEFORE WHAT: waits (up to 30 s) until $DEV completed more than BEFORE requests; sets
# IO_BACK to the ms since T0 (uptime ms), or to "" when the fio round ended meanwhile (nothing to
# wait for: not counted).
_io_back() {
    _ib_end=$(($1 + 30000))
    while :; do
        now_ms
        _requests
        [ "$REQS" = "$2" ] || break
        _fio_alive || { IO_BACK=""; return 0; }
        [ "$NOW" -lt "$_ib_end" ] || fail "$3: no request completed on $DEV for 30 s"
        usleep 10000
    done
    IO_BACK=$((NOW - $1))
}
# fio rounds (as sigkill_takeovers runs them), normal and JSON output per round in $dir/D-fio-N.txt.
FIO_PID="" ROUND=0
fio_round() { # daemon
    ROUND=$((ROUND + 1))
    /usr/bin/fio --name=takeover --filename="$DEV" --ioengine=libaio --direct=1 \
        --rw=randwrite --bs=4k --iodepth=32 --numjobs=2 --size=12M --offset_increment=12M \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 \
        --group_reporting --output-format=normal,json >"$dir/$1-fio-$ROUND.txt" 2>&1 &
    FIO_PID=$!
}
fio_check() { # daemon
    wait_gone "$FIO_PID" 600 "fio round $ROUND ($1)"
    expect_fio_clean "fio round $ROUND on $1" "$dir/$1-fio-$ROUND.txt" "$WAIT_RC"
    fio_clat_max_ms "$dir/$1-fio-$ROUND.txt" >>"$dir/$1-clat.txt"
    echo >>"$dir/$1-clat.txt"
}
# fio_running DAEMON: a round is running with I/O on the disk (once the last one ended and is
# checked, a new one is started and has I/O: a kill during fio's own start-up would time that).
fio_running() {
    proc_alive "$FIO_PID" && return 0
    fio_check "$1"
    fio_round "$1"
    expect_io_flows 60 "fio round $ROUND started on $1"
}

# kills DAEMON KILL RESTART CHECK: KILLS times, 200-800 ms into I/O, KILL and RESTART the daemon, time
# the I/O coming back, then CHECK the new daemon (CHECK may append its ready ms to
# $dir/DAEMON-ready.txt: it runs after the timing, so its work does not slow the takeover).
kills() {
    _k_daemon=$1 _k_kill=$2 _k_restart=$3 _k_check=$4
    : >"$dir/$_k_daemon-ready.txt"
    : >"$dir/$_k_daemon-ioback.txt"
    : >"$dir/$_k_daemon-clat.txt"
    : >"$dir/$_k_daemon-exit.txt"
    ROUND=0
    fio_round "$_k_daemon"
    expect_io_flows 60 "fio started on $_k_daemon"
    _k_n=0
    while [ "$_k_n" -lt "$KILLS" ]; do
        usleep $(($(random_ms 200 800) * 1000))
        fio_running "$_k_daemon"
        now_ms
        _k_kill_at=$NOW
        "$_k_kill"
        _requests
        _k_before=$REQS
        now_ms
        _k_t0=$NOW
        echo $((_k_t0 - _k_kill_at)) >>"$dir/$_k_daemon-exit.txt"
        "$_k_restart"
        _k_n=$((_k_n + 1))
        _io_back "$_k_t0" "$_k_before" "$_k_daemon restart $_k_n"
        "$_k_check"
        if [ -n "$IO_BACK" ]; then
            echo "$IO_BACK" >>"$dir/$_k_daemon-ioback.txt"
            log "$_k_daemon: SIGKILL $_k_n/$KILLS, reaped after $((_k_t0 - _k_kill_at)) ms, I/O back $IO_BACK ms after the restart"
        else
            log "$_k_daemon: SIGKILL $_k_n/$KILLS, the fio round ended meanwhile (not timed)"
        fi
    done
    fio_check "$_k_daemon"
    sed -i '/^$/d' "$dir/$_k_daemon-clat.txt"
}

# --- vduse-blk ---------------------------------------------------------------------------
VARGS="--ram 64M --queues 2 --log-level debug"
# shellcheck disable=SC2086
start_daemon vt82 $VARGS
: >"$dir/vduse-blk-timeline.txt"
vduse_kill() {
    kill -KILL "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
}
vduse_restart() {
    # shellcheck disable=SC2086 # VARGS is a list of options
    "$VDUSE_BLK" serve --name "$NAME" $VARGS >"$DAEMON_OUT" 2>"$DAEMON_ERR" &
    PID=$!
}
vduse_check() {
    # The ready line is polled with builtins (the figure comes from the daemon's own timeline).
    _vr_line=""
    now_ms
    _vr_end=$((NOW + READY_TIMEOUT * 1000))
    until [ -n "$_vr_line" ]; do
        read -r _vr_line <"$DAEMON_OUT" || true
        [ -n "$_vr_line" ] && break
        proc_alive "$PID" || fail "vduse-blk exited during its takeover; $(daemon_stderr)"
        now_ms
        [ "$NOW" -lt "$_vr_end" ] || fail "vduse-blk not ready after ${READY_TIMEOUT}s; $(daemon_stderr)"
        usleep 5000
    done
    expect_eq "ready line after the takeover" "$_vr_line" "ready $NAME $DEV" >/dev/null
    _vr_ms=$(sed -n 's/.*startup +\([0-9.]*\) ms: ready printed.*/\1/p' "$DAEMON_ERR")
    [ -n "$_vr_ms" ] || fail "no 'ready printed' step in the daemon's timeline; $(daemon_stderr)"
    echo "$_vr_ms" >>"$dir/vduse-blk-ready.txt"
    grep 'startup +' "$DAEMON_ERR" >>"$dir/vduse-blk-timeline.txt"
    [ "$(count_matches "taken over: " "$DAEMON_ERR")" -eq 2 ] || fail "ready before both queues were taken over; $(daemon_stderr)"
}
kills vduse-blk vduse_kill vduse_restart vduse_check
expect_eq "I/O errors across the takeovers" "$(json_total "$(stats_json)" io_errors)" 0
stop_daemon

# Per step, the median time over the restarts (the timeline's steps in their order).
log "vduse-blk takeover timeline, medians over $KILLS restarts (ms since the process started):"
sed -n 's/.*startup +\([0-9.]*\) ms: \(.*\)/\2|\1/p' "$dir/vduse-blk-timeline.txt" |
    awk -F'|' '!($1 in n) { order[++k] = $1 } { n[$1]++; v[$1, n[$1]] = $2 }
        END { for (i = 1; i <= k; i++) { s = order[i]; c = n[s]
            for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[s, b] + 0 < v[s, a] + 0) { t = v[s, a]; v[s, a] = v[s, b]; v[s, b] = t }
            m = (c % 2) ? v[s, (c + 1) / 2] : (v[s, c / 2] + v[s, c / 2 + 1]) / 2
            printf "takeover-step: %-55s p50=%.1f max=%.1f n=%d\n", s, m, v[s, c], c } }'

# --- qemu-storage-daemon ------------------------------------------------------------------
[ -x "$QSD" ] || fail "$QSD missing (scripts/vm/trixie-tools.sh stages it)"
[ -x "$VDPA" ] || fail "$VDPA missing (the host's iproute2 vdpa(8) goes into the initramfs)"
QNAME=vt82q
dd if=/dev/zero of="$dir/qsd.img" bs=1M count=0 seek=64 2>/dev/null
QBD="driver=file,node-name=f,filename=$dir/qsd.img,cache.direct=off"
QEX="type=vduse-blk,id=e,node-name=f,name=$QNAME,num-queues=2,queue-size=256,writable=on"
QSD_PID=""
qsd_start() {
    "$QSD" --blockdev "$QBD" --export "$QEX" >>"$dir/qsd.log" 2>&1 &
    QSD_PID=$!
}
qsd_kill() {
    kill -KILL "$QSD_PID"
    wait "$QSD_PID" 2>/dev/null || true
    QSD_PID=""
}
qsd_restart() { qsd_start; }
qsd_check() {
    proc_alive "$QSD_PID" || { cat "$dir/qsd.log"; fail "qemu-storage-daemon exited at its restart"; }
}
_qsd_up() {
    [ -c "/dev/vduse/$QNAME" ] && return 0
    proc_alive "$QSD_PID" || { cat "$dir/qsd.log"; fail "qemu-storage-daemon exited before creating /dev/vduse/$QNAME"; }
    return 1
}
_qsd_disk() {
    for _b in /sys/bus/vdpa/devices/"$QNAME"/virtio*/block/vd*; do
        [ -e "$_b" ] && DEV=/dev/${_b##*/}
    done
    [ -b "$DEV" ]
}
qsd_cleanup() {
    [ -z "$QSD_PID" ] || kill -KILL "$QSD_PID" 2>/dev/null || true
    "$VDPA" dev del "$QNAME" 2>/dev/null || true
}
CLEANUP_AFTER="qsd_cleanup"
qsd_start
wait_until 60 "/dev/vduse/$QNAME" _qsd_up
"$VDPA" dev add name "$QNAME" mgmtdev vduse || fail "vdpa dev add name $QNAME mgmtdev vduse failed"
DEV=""
wait_until 30 "qsd's /dev/vdX" _qsd_disk
log "qemu-storage-daemon on $DEV (pid $QSD_PID)"
kills qsd qsd_kill qsd_restart qsd_check
cp "$dir/qsd-ioback.txt" "$dir/qsd-ready.txt"
"$VDPA" dev del "$QNAME" || log "vdpa dev del $QNAME failed"
kill -TERM "$QSD_PID"
wait_until 30 "qemu-storage-daemon to exit" proc_gone "$QSD_PID"
QSD_PID=""
CLEANUP_AFTER=""

# --- the lines ----------------------------------------------------------------------------
for d in vduse-blk qsd; do
    echo "takeover-timing: daemon=$d ready_ms p50=$(median "$dir/$d-ready.txt") max=$(maximum "$dir/$d-ready.txt")" \
        "io_back_ms p50=$(median "$dir/$d-ioback.txt") max=$(maximum "$dir/$d-ioback.txt")" \
        "exit_ms p50=$(median "$dir/$d-exit.txt") max=$(maximum "$dir/$d-exit.txt")" \
        "worst_latency_ms=$(maximum "$dir/$d-clat.txt") rounds=$(tr '\n' ',' <"$dir/$d-clat.txt" | sed 's/,$//') kills=$KILLS"
done
awk -v v="$(maximum "$dir/vduse-blk-clat.txt")" -v q="$(maximum "$dir/qsd-clat.txt")" -v r="$(median "$dir/vduse-blk-ready.txt")" \
    -v rm="$(maximum "$dir/vduse-blk-ready.txt")" 'BEGIN {
    printf "takeover-timing: worst latency vduse-blk/qsd = %.2fx (target <= 0.5x): %s\n", v / q, (v <= 0.5 * q) ? "met" : "not met"
    printf "takeover-timing: ready p50 %.1f ms, max %.1f ms (target <= 50 ms): %s\n", r, rm, (rm <= 50) ? "met" : ((r <= 50) ? "median met" : "not met") }'
