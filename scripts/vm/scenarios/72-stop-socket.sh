#!/bin/sh
# The control socket: owner-only in an owner-only directory, `list` shows the disk, `stop` tears down
# exactly like SIGTERM (exit 0, nothing left, socket removed) and returns once that is done; after it
# the verbs say in one line that there is no device. The same under another --state-dir.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt72stop --ram 32M
sock=/run/vduse-blk/vt72stop.sock
[ -S "$sock" ] || fail "$sock is not a socket"
expect_eq "socket mode" "$(stat -c %a "$sock")" 600
expect_eq "state directory mode" "$(stat -c %a /run/vduse-blk)" 700

list=$("$VDUSE_BLK" list) || fail "vduse-blk list failed"
echo "$list"
echo "$list" | grep -Eq "^vt72stop +$DEV +[0-9]+s +ram 32 MiB( |$)" || fail "list does not show vt72stop on $DEV"
"$VDUSE_BLK" list --json | grep -q "\"name\":\"vt72stop\",\"backend\":\"ram 32 MiB[^\"]*\",\"device\":\"$DEV\"" ||
    fail "list --json does not show vt72stop"

dd if=/dev/zero of="$DEV" bs=64k count=16 oflag=direct 2>/dev/null || fail "write to $DEV failed"
out=$("$VDUSE_BLK" stop vt72stop) || fail "vduse-blk stop exited $?"
expect_eq "stop output" "$out" "stopped vt72stop"
# stop returns after the teardown: the device is gone now, the process is exiting.
[ ! -e "/dev/vduse/vt72stop" ] || fail "/dev/vduse/vt72stop still exists when stop returned"
await_clean_exit "vduse-blk stop"
grep -q "stop requested on the control socket" "$DAEMON_ERR" || fail "daemon did not log the stop request; $(daemon_stderr)"

for verb in stats stop; do
    rc=0
    err=$("$VDUSE_BLK" "$verb" vt72stop 2>&1 >/dev/null) || rc=$?
    expect_one_line_error "no device vt72stop: $sock does not exist (is vduse-blk serve running? --state-dir?)" "$rc" "$err"
done

# Another state directory, created 0700 by the daemon.
STATE_DIR=/tmp/vt72state
rm -rf "$STATE_DIR"
start_daemon vt72dir --null 1G --state-dir "$STATE_DIR"
expect_eq "new state directory mode" "$(stat -c %a "$STATE_DIR")" 700
[ -S "$STATE_DIR/vt72dir.sock" ] || fail "no socket in $STATE_DIR"
rc=0
err=$("$VDUSE_BLK" stats vt72dir 2>&1 >/dev/null) || rc=$?
expect_one_line_error "no device vt72dir: /run/vduse-blk/vt72dir.sock does not exist" "$rc" "$err"
"$VDUSE_BLK" stop vt72dir --state-dir "$STATE_DIR" >/dev/null || fail "stop with --state-dir failed"
await_clean_exit "vduse-blk stop --state-dir"
rm -rf "$STATE_DIR"
