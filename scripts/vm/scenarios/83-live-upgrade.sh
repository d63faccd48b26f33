#!/bin/sh
# Live upgrade (issue 16 part 2): `vduse-blk upgrade NAME` starts a new daemon that takes the device
# over from the running one through its control socket (SCM_RIGHTS), without the device leaving.
#   1. One upgrade of an idle disk: the bytes stay, the new daemon answers the control socket and
#      logs to the same place, and the old one exited 0.
#   2. UPGRADES (default 20) upgrades in a row under fio 4k random writes with crc32c verify, one per
#      fio round, each at a random moment of I/O, after 5 SIGUSR1-and-restart cycles under the same
#      job and 3 rounds with neither. The worst request latency of every round is printed per
#      route, and the ratio of the two routes' worst latencies.
#   3. A new binary that fails before the handover (exits at once; refuses the configuration)
#      leaves the old daemon serving, untouched.
#   4. SIGKILL of the new daemon right after the upgrade: the next serve takes the device over
#      from its journal, and fio verify holds across it.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

UPGRADES=${LIVE_UPGRADES:-20}
ARGS="--ram 64M --queues 2 --log-level debug"
dir=/tmp/vt83
rm -rf "$dir"
mkdir -p "$dir"

# --- 1. an idle upgrade --------------------------------------------------------------------
# shellcheck disable=SC2086
start_daemon vt83 $ARGS
first=$PID
dd if=/dev/urandom of="$dir/pattern" bs=64k count=16 2>/dev/null
dd if="$dir/pattern" of="$DEV" bs=64k oflag=direct conv=fsync 2>/dev/null || fail "writing the pattern failed"
old_dev=$DEV
upgrade_daemon
log "ok: upgraded in $UPGRADE_MS ms: pid $first -> $PID"
expect_eq "disk after the upgrade" "$DEV" "$old_dev"
[ -c "/dev/vduse/$NAME" ] || fail "/dev/vduse/$NAME vanished in the upgrade"
read_range "$DEV" 0 1048576 direct >"$dir/back"
cmp -s "$dir/pattern" "$dir/back" || fail "the pattern does not read back after the upgrade"
log "ok: the pattern reads back after the upgrade"
info=$("$VDUSE_BLK" list --json --state-dir "$STATE_DIR") || fail "list failed after the upgrade"
case "$info" in *"\"pid\":$PID"*) log "ok: the control socket answers from pid $PID" ;; *) fail "list does not show pid $PID: $info" ;; esac
grep -q "taking over /dev/vduse/$NAME from pid $first" /tmp/upgrade.err || fail "upgrade did not relay the new daemon's log: $(cat /tmp/upgrade.err)"
grep -q "exited: pid $PID serves" "$DAEMON_ERR" || fail "the old daemon did not log the handover; $(daemon_stderr)"
sed -n 's/.*startup +\([0-9.]*\) ms: \(.*\)/    new daemon: +\1 ms \2/p' /tmp/upgrade.err
# The new daemon's teardown must land in the first daemon's stderr: await_clean_exit looks there.
stop_daemon
log "ok: the new daemon logged its teardown to the old one's stderr"

# --- 2. pauses under fio: upgrades against SIGUSR1 and restart -----------------------------
# pause_round ROUTE ACTION: one fio round (2 jobs, one per queue: 4k random writes at iodepth 4
# with crc32c verify, 2 s of writes whatever the machine's speed: a round sized in bytes ended
# before its ACTION on a fast run); ACTION runs once, at a random moment of its I/O. The round's worst
# completion latency goes to $dir/ROUTE-clat.txt.
FIO_PID="" ROUND=0
pause_round() {
    ROUND=$((ROUND + 1))
    _pr_out="$dir/$1-$ROUND.txt"
    /usr/bin/fio --name=upgrade --filename="$DEV" --ioengine=libaio --direct=1 \
        --rw=randwrite --bs=4k --iodepth=4 --numjobs=2 --size=4M --offset_increment=4M \
        --time_based --runtime=2 \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 \
        --group_reporting --output-format=normal,json >"$_pr_out" 2>&1 &
    FIO_PID=$!
    expect_io_flows 60 "fio round $ROUND ($1)" >/dev/null
    usleep $(($(random_ms 100 600) * 1000))
    proc_alive "$FIO_PID" || fail "fio round $ROUND ended before the $1 (make the rounds longer)"
    "$2"
    wait_gone "$FIO_PID" 600 "fio round $ROUND ($1)"
    expect_fio_clean "fio round $ROUND ($1)" "$_pr_out" "$WAIT_RC" >/dev/null
    _pr_ms=$(fio_clat_max_ms "$_pr_out")
    echo "$_pr_ms" >>"$dir/$1-clat.txt"
    log "$1 $ROUND: worst request latency $_pr_ms ms"
}
nothing() { :; }
restart() {
    upgrade_exit_daemon
    # shellcheck disable=SC2086
    restart_daemon $ARGS >/dev/null
}
upgrade() {
    upgrade_daemon
    echo "$UPGRADE_MS" >>"$dir/upgrade-ms.txt"
    _up=$(sed -n 's/.*serving \([0-9.]*\) ms after pid [0-9]* paused.*/\1/p' /tmp/upgrade.err)
    [ -n "$_up" ] || fail "the new daemon did not report its pause: $(cat /tmp/upgrade.err)"
    echo "$_up" >>"$dir/upgrade-pause.txt"
}
: >"$dir/none-clat.txt"
: >"$dir/restart-clat.txt"
: >"$dir/upgrade-clat.txt"
: >"$dir/upgrade-ms.txt"
: >"$dir/upgrade-pause.txt"
# shellcheck disable=SC2086
start_daemon vt83 $ARGS
i=0
while [ "$i" -lt 3 ]; do pause_round none nothing; i=$((i + 1)); done
i=0
while [ "$i" -lt 5 ]; do pause_round restart restart; i=$((i + 1)); done
i=0
while [ "$i" -lt "$UPGRADES" ]; do pause_round upgrade upgrade; i=$((i + 1)); done
expect_eq "I/O errors across the upgrades" "$(json_total "$(stats_json)" io_errors)" 0
for r in none restart upgrade; do
    echo "live-upgrade: route=$r rounds=$(wc -l <"$dir/$r-clat.txt") worst_latency_ms p50=$(median "$dir/$r-clat.txt") max=$(maximum "$dir/$r-clat.txt")" \
        "all=$(tr '\n' ',' <"$dir/$r-clat.txt" | sed 's/,$//')"
done
echo "live-upgrade: upgrade command wall time ms p50=$(median "$dir/upgrade-ms.txt") max=$(maximum "$dir/upgrade-ms.txt")"
# The daemons' own figure: from the old one starting to stop (its queues serve until each is
# stopped, so this is an upper bound) to every queue of the new one serving, on one monotonic clock.
echo "live-upgrade: handover pause (no queue serving) ms p50=$(median "$dir/upgrade-pause.txt") max=$(maximum "$dir/upgrade-pause.txt")" \
    "all=$(tr '\n' ',' <"$dir/upgrade-pause.txt" | sed 's/,$//')"
awk -v u="$(maximum "$dir/upgrade-clat.txt")" -v r="$(maximum "$dir/restart-clat.txt")" -v n="$(maximum "$dir/none-clat.txt")" \
    -v p="$(maximum "$dir/upgrade-pause.txt")" 'BEGIN {
    printf "live-upgrade: worst request latency upgrade/restart = %.2fx (rounds without either: %.1f ms)\n", u / r, n
    printf "live-upgrade: handover pause max %.1f ms (target <= 20 ms): %s\n", p, (p <= 20) ? "met" : "not met" }'

# --- 3. a new binary that fails before the handover ----------------------------------------
paused=$(count_matches "paused for a handover" "$DAEMON_ERR")
printf '#!/bin/sh\nexit 3\n' >"$dir/exits"
printf '#!/bin/sh\nexec %s "$@" --queues 1\n' "$VDUSE_BLK" >"$dir/refuses"
chmod +x "$dir/exits" "$dir/refuses"
for bad in exits refuses; do
    rc=0
    "$VDUSE_BLK" upgrade "$NAME" --state-dir "$STATE_DIR" --binary "$dir/$bad" >/tmp/upgrade.out 2>/tmp/upgrade.err || rc=$?
    [ "$rc" -eq 1 ] || fail "upgrade with a binary that $bad: exit $rc (want 1); $(cat /tmp/upgrade.err)"
    grep -q "pid $PID serves $NAME as before" /tmp/upgrade.err || fail "upgrade with a binary that $bad does not say the old daemon serves: $(cat /tmp/upgrade.err)"
    log "ok: a binary that $bad: $(tail -n 1 /tmp/upgrade.err)"
    proc_alive "$PID" || fail "the daemon died when a binary that $bad was tried"
    dd if="$DEV" of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null || fail "reading $DEV failed after the binary that $bad"
done
grep -q "queues" /tmp/upgrade.err || fail "the refusal does not name the setting: $(cat /tmp/upgrade.err)"
expect_eq "handover pauses caused by the failed upgrades" "$(count_matches "paused for a handover" "$DAEMON_ERR")" "$paused"

# --- 4. SIGKILL of the new daemon right after the handover ---------------------------------
kill_after_upgrade() {
    upgrade_daemon
    kill -KILL "$PID"
    poll_until 10 proc_gone "$PID" || fail "the upgraded daemon survived SIGKILL"
    PID="" UPGRADED=0
    expect_device_left
    # shellcheck disable=SC2086
    restart_daemon $ARGS >/dev/null
}
pause_round killed kill_after_upgrade
grep -q "taken over: " "$DAEMON_ERR" || fail "the takeover after the SIGKILL did not resume the queues; $(daemon_stderr)"
log "ok: SIGKILL right after the handover: the next serve took over, fio verified"
stop_daemon
