#!/bin/sh
# Crash safety: fio random writes with crc32c verify (iodepth 32, 2 jobs on 2 queues) while the
# daemon is SIGKILLed and restarted 10 times at random moments (up to 10 more until one catches
# requests in flight), for the RAM backend and a file on ext4 (io_uring).
# fio must finish every round without an error and verify everything it wrote, some kill of each
# backend must catch requests in flight (resubmitted by the next daemon); afterwards the file
# backend's image holds exactly the bytes the device shows.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

KILLS=10

# fio_round: one verify run in the background; sets FIO_PID, output in /tmp/vt80-fio-N.txt.
ROUND=0
fio_round() {
    ROUND=$((ROUND + 1))
    FIO_OUT=/tmp/vt80-fio-$ROUND.txt
    /usr/bin/fio --name=crash --filename="$DEV" --ioengine=libaio --direct=1 \
        --rw=randwrite --bs=4k --iodepth=32 --numjobs=2 --size=12M --offset_increment=12M \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 \
        --group_reporting >"$FIO_OUT" 2>&1 &
    FIO_PID=$!
}

fio_check() {
    wait_gone "$FIO_PID" 600
    grep -E 'err=|IOPS=' "$FIO_OUT" || true
    expect_fio_clean "fio round $ROUND" "$FIO_OUT" "$WAIT_RC"
}

# resubmitted FILE: requests in flight resubmitted by the takeovers a daemon's stderr FILE logs.
resubmitted() {
    grep -o "taken over: [0-9]*" "$1" | awk '{ s += $3 } END { print s + 0 }'
}

# kill_loop ARGS...: KILLS crash/restart cycles while fio rounds keep running, and up to KILLS more
# while none of them has caught a request in flight.
kill_loop() {
    kills=0 caught=0
    fio_round
    while [ "$kills" -lt "$KILLS" ] || { [ "$caught" -eq 0 ] && [ "$kills" -lt $((KILLS * 2)) ]; }; do
        usleep $(($(random_ms 200 1500) * 1000))
        if ! proc_alive "$FIO_PID"; then
            fio_check
            fio_round
            continue
        fi
        crash_daemon
        kills=$((kills + 1))
        if [ "$kills" -le "$KILLS" ]; then
            log "SIGKILL $kills/$KILLS during fio round $ROUND"
        else
            log "SIGKILL $kills (none has caught a request in flight yet) during fio round $ROUND"
        fi
        restart_daemon "$@"
        # "ready" after a takeover comes once the queues run again.
        [ "$(grep -c "taken over: " "$DAEMON_ERR" || true)" -eq 2 ] || fail "ready before both queues were taken over: $(cat "$DAEMON_ERR")"
        caught=$((caught + $(resubmitted "$DAEMON_ERR")))
    done
    fio_check
    # Every restart took the queues over from the journal (not a fresh start, not --force).
    cat "$DAEMON_ERR" >>"/tmp/daemon-$NAME.all"
    taken=$(grep -c "taken over: " "/tmp/daemon-$NAME.all" || true)
    log "$NAME: $kills kills, $taken queue takeovers, $caught request(s) in flight resubmitted"
    [ "$taken" -eq $((kills * 2)) ] || fail "$NAME: $taken queue takeovers logged, want $((kills * 2))"
    # Otherwise no kill caught a request in flight, and the journal's replay went untested.
    [ "$caught" -gt 0 ] || fail "$NAME: none of the $kills kills caught a request in flight (0 resubmitted)"
}

# --- RAM --------------------------------------------------------------------------------
rm -f /tmp/daemon-vt80ram.all /tmp/daemon-vt80file.all
start_daemon vt80ram --ram 64M --queues 2
kill_loop --ram 64M --queues 2
run_fio_verify 4k
stop_daemon
[ ! -e "$STATE_DIR/vt80ram.state" ] || fail "state file left after SIGTERM"
[ ! -e "$STATE_DIR/vt80ram.ram" ] || fail "RAM image left after SIGTERM"

# --- file on ext4 (brd): served through io_uring, so reads and writes are in flight in the kernel
# when the daemon dies ------------------------------------------------------------------------
mount_brd_ext4 /dev/ram0 /mnt/vt80
img=/mnt/vt80/disk.img
start_daemon vt80file --file "$img" --size 64M --queues 2
ROUND=0
kill_loop --file "$img" --size 64M --queues 2
dev_sha=$(range_sha "$DEV" 0 67108864 direct)
stop_daemon
expect_eq "image sha256 equals the device's" "$(range_sha "$img" 0 67108864)" "$dev_sha"
[ ! -e "$STATE_DIR/vt80file.state" ] || fail "state file left after SIGTERM"
