#!/bin/sh
# The NBD backend when things go wrong, against nbdkit's file plugin over a tmpfs image on
# 127.0.0.1 (multi-conn: 2 queues, one connection each), behind the error filter:
#  (a) the server is SIGKILLed and restarted on the same port twice during a 20 s fio crc32c
#      verify: every queue loses its connection and reconnects each time, I/O flows again after each
#      restart, fio ends clean and no request failed (the reconnect timeout is 30 s); prints
#      "nbd-faults: server restarts=2 reconnects=N worst-latency=X ms" (fio's worst completion
#      latency, and the daemon's own worst);
#  (b) with EIO injected into every read (error-pread-file), direct reads fail with EIO and count as
#      I/O errors while writes go on and the connections stay up; with it switched off the data
#      written before and during reads back, fio verify passes and the daemon answers stats;
#  (c) vduse-blk SIGKILLed and taken over 10 times (up to 10 more until one catches requests in
#      flight) under fio verify, as 80-reconnect-kill does for RAM and files;
#  (d) after a SIGKILL, a takeover naming another URI (another server with the same image, the same
#      server under another export name) is refused with one line saying the configuration differs
#      and leaves the device as it was; the original URI then takes it over, and what the device
#      shows is in the server's image after it stops.
# shellcheck disable=SC3040 # busybox ash has pipefail
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
port=10809 dir=/tmp/vt91 sock=/tmp/vt91-other.sock
img=$dir/disk.img inject=$dir/inject-read-errors
uri="nbd://127.0.0.1:$port/"
ARGS="--nbd $uri --queues 2 --reconnect-timeout 30"
rm -rf "$dir" /tmp/daemon-vt91.all
mkdir -p "$dir"
dd if=/dev/zero of="$img" bs=1M count=0 seek=64 status=none

# serve_nbdkit: the server of this scenario (reads fail with EIO while $inject exists).
serve_nbdkit() {
    start_nbdkit "$port" --filter=error file "$img" \
        error=EIO error-pread-rate=100% error-pread-file="$inject"
}
# kill_nbdkit: SIGKILL the server and reap it.
kill_nbdkit() {
    kill -KILL "$NBDKIT_PID" || fail "cannot SIGKILL nbdkit $NBDKIT_PID"
    wait_gone "$NBDKIT_PID" 10 "nbdkit after SIGKILL"
    NBD_SERVERS=$(_drop "$NBD_SERVERS" "$NBDKIT_PID")
    NBDKIT_PID=""
}

serve_nbdkit
# shellcheck disable=SC2086
start_daemon vt91 $ARGS

# --- (a) server killed and restarted twice during fio verify ----------------------------------------
FIO_OUT=$dir/fio-restarts.txt restarts=2
fio_across_outages "$FIO_OUT" "$restarts" "nbdkit SIGKILL" kill_nbdkit serve_nbdkit
lost=0 reconnects=0
for q in 0 1; do
    l=$(count_matches "queue $q: connection to 127.0.0.1:$port lost" "$DAEMON_ERR")
    r=$(count_matches "queue $q reconnected to 127.0.0.1:$port" "$DAEMON_ERR")
    [ "$l" -ge "$restarts" ] || fail "queue $q logged $l lost connection(s) for $restarts server restarts; $(daemon_stderr)"
    [ "$r" -ge "$restarts" ] || fail "queue $q logged $r reconnection(s) for $restarts server restarts; $(daemon_stderr)"
    lost=$((lost + l)) reconnects=$((reconnects + r))
done
s=$(stats_json)
expect_eq "I/O errors across the server restarts" "$(json_total "$s" io_errors)" 0
expect_eq "requests in flight after fio" "$(json_total "$s" in_flight)" 0
worst=$(fio_clat_max_ms "$FIO_OUT")
daemon_worst=$(awk -v us="$(json_total "$s" max)" 'BEGIN { printf "%.1f", us / 1000 }')
echo "nbd-faults: server restarts=$restarts reconnects=$reconnects (connections lost=$lost) worst-latency=$worst ms (fio clat max; daemon's max $daemon_worst ms)"

# --- (b) EIO injected into reads ------------------------------------------------------------------
dd if=/dev/urandom of="$dir/pat1" bs=1M count=1 status=none
dd if=/dev/urandom of="$dir/pat2" bs=1M count=1 status=none
dd if="$dir/pat1" of="$DEV" bs=1M seek=40 oflag=direct conv=fsync status=none || fail "pattern write at 40M failed"
want1=$(range_sha "$dir/pat1" 0 $MiB) want2=$(range_sha "$dir/pat2" 0 $MiB)
err0=$(json_total "$(stats_json)" io_errors)
lost0=$(count_matches "connection to .* lost" "$DAEMON_ERR")
: >"$inject"
log "read errors on: every NBD read answers EIO"
rc=0
dd if="$DEV" of=/dev/null bs=4k skip=$((40 * 256)) count=1 iflag=direct 2>"$dir/dd.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a direct 4k read at 40M succeeded with EIO injected into every read"
grep -q "Input/output error" "$dir/dd.err" || fail "the failed read did not say EIO: $(cat "$dir/dd.err")"
log "ok: dd read at 40M failed: $(tail -n1 "$dir/dd.err")"
rc=0
/usr/bin/fio --name=eio --filename="$DEV" --ioengine=libaio --direct=1 --rw=randread --bs=4k \
    --iodepth=8 --offset=40M --size=1M --randrepeat=0 >"$dir/fio-eio.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { cat "$dir/fio-eio.txt"; fail "fio randread succeeded with EIO injected into every read"; }
grep -q -E 'Input/output error|err= *5' "$dir/fio-eio.txt" || { cat "$dir/fio-eio.txt"; fail "fio randread failed, but not with EIO"; }
log "ok: fio randread failed: $(grep -m1 -E 'Input/output error|err= *5' "$dir/fio-eio.txt")"
dd if="$dir/pat2" of="$DEV" bs=1M seek=41 oflag=direct conv=fsync status=none || fail "a write failed while only reads had errors injected"
log "ok: 1M written at 41M while reads fail"
err1=$(json_total "$(stats_json)" io_errors)
[ "$err1" -gt "$err0" ] || fail "stats count no I/O error for the failed reads ($err0 before, $err1 after)"
log "ok: $((err1 - err0)) I/O error(s) counted"
rm -f "$inject"
log "read errors off"
expect_eq "the pattern written before the errors (sha256)" "$(range_sha "$DEV" $((40 * MiB)) $MiB direct)" "$want1"
expect_eq "the pattern written during the errors (sha256)" "$(range_sha "$DEV" $((41 * MiB)) $MiB direct)" "$want2"
run_fio_verify 4k --size=8M --offset=48M
proc_alive "$PID" || fail "the daemon exited; $(daemon_stderr)"
s=$(stats_json)
expect_eq "connections lost by server errors" "$(count_matches "connection to .* lost" "$DAEMON_ERR")" "$lost0"
expect_eq "requests in flight after the errors" "$(json_total "$s" in_flight)" 0
log "ok: the daemon serves on: $(json_total "$s" requests) requests, $(json_total "$s" io_errors) I/O errors"

# --- (c) vduse-blk SIGKILLed and taken over under fio verify --------------------------------------
# shellcheck disable=SC2086
sigkill_takeovers "$dir" 10 2 $ARGS

# --- (d) a takeover with another URI is refused ----------------------------------------------------
crash_daemon
main_nbdkit=$NBDKIT_PID
start_nbdkit "$sock" file "$img"
other=$NBDKIT_PID
NBDKIT_PID=$main_nbdkit
for other_uri in "nbd+unix:///?socket=$sock" "nbd://127.0.0.1:$port/other"; do
    expect_serve_refused "another configuration" --nbd "$other_uri" --queues 2 --reconnect-timeout 30
    line=$(cat /tmp/refused.err)
    [ "$(wc -l </tmp/refused.err)" -eq 1 ] || fail "the refusal is not one line: $line"
    case "$line" in
        *"the backend nbd $other_uri differs from the running device's nbd $uri"*) ;;
        *) fail "the refusal does not name both URIs: $line" ;;
    esac
    [ ! -s /tmp/refused.out ] || fail "the refused serve printed on stdout: $(cat /tmp/refused.out)"
    expect_device_left
done
stop_nbdkit "$other"
NBDKIT_PID=$main_nbdkit
# The same server and export spelt another way (no trailing '/') is the same disk: it takes over.
restart_daemon --nbd "nbd://127.0.0.1:$port" --queues 2 --reconnect-timeout 30
expect_eq "queue takeovers with the original URI spelt without its '/'" "$(count_matches "taken over: " "$DAEMON_ERR")" 2
run_fio_verify 4k --size=8M --offset=48M
dev_sha=$(range_sha "$DEV" 0 $((64 * MiB)) direct)
stop_daemon
[ ! -e "$STATE_DIR/vt91.state" ] || fail "state file left after SIGTERM"
expect_eq "the server's image holds what the device showed (sha256)" "$(range_sha "$img" 0 $((64 * MiB)))" "$dev_sha"
stop_nbdkit "$NBDKIT_PID"
rm -rf "$dir"
