#!/bin/sh
# File backend with --direct on a real file system: ext4 on a brd RAM disk,
# image created by --size; the daemon's fd really has O_DIRECT; fio verify at
# 4k/64k; WRITE_ZEROES (ZERO_RANGE) and DISCARD (PUNCH_HOLE) on ext4; data
# written through the device is in the image after stop; ext4 stays clean.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
backing=/mnt/backing
img=$backing/disk.img
ram=/dev/ram0

mount_brd_ext4 "$ram" "$backing"
log "backing: $(grep " $backing " /proc/mounts)"

start_daemon vt51direct --file "$img" --size 128M --direct --queues "$(nproc)"
[ -f "$img" ] || fail "--size did not create $img"
expect_eq "image size (bytes)" "$(stat -c %s "$img")" 134217728
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 262144

# The image is open with O_DIRECT (040000 on x86) in the daemon.
fdflags=""
for fd in /proc/"$PID"/fd/*; do
    if [ "$(readlink "$fd")" = "$img" ]; then
        fdflags=$(awk '/^flags:/ { print $2 }' /proc/"$PID"/fdinfo/"${fd##*/}")
        break
    fi
done
[ -n "$fdflags" ] || fail "daemon (pid $PID) has no fd open on $img"
[ $((0$fdflags & 040000)) -ne 0 ] || fail "daemon's fd on $img has flags $fdflags: no O_DIRECT"
log "ok: daemon's fd on $img has O_DIRECT (flags $fdflags)"

run_fio_verify 4k
run_fio_verify 64k

# WRITE_ZEROES and DISCARD on ext4 (ZERO_RANGE / PUNCH_HOLE on an O_DIRECT fd).
dd if=/dev/urandom of=/tmp/vt51-pat bs=1M count=8 status=none
dd if=/tmp/vt51-pat of="$DEV" bs=1M seek=48 oflag=direct conv=fsync status=none || fail "pattern write at 48M failed"
expect_eq "8 MiB pattern at 48M" "$(range_sha "$DEV" $((48 * MiB)) $((8 * MiB)) direct)" "$(range_sha /tmp/vt51-pat 0 $((8 * MiB)))"
/usr/sbin/blkdiscard -z -o $((50 * MiB)) -l $((2 * MiB)) "$DEV" || fail "blkdiscard -z of 50M..52M failed"
expect_zero "write-zeroed 50M..52M" "$DEV" $((50 * MiB)) $((2 * MiB)) direct
sync
b0=$(stat -c %b "$img")
/usr/sbin/blkdiscard -o $((52 * MiB)) -l $((2 * MiB)) "$DEV" || fail "blkdiscard of 52M..54M failed"
expect_zero "discarded 52M..54M" "$DEV" $((52 * MiB)) $((2 * MiB)) direct
sync
b1=$(stat -c %b "$img")
log "image blocks after discarding 2 MiB: $b0 -> $b1"
[ $((b0 - b1)) -ge 4096 ] || fail "discard of 2 MiB freed only $(((b0 - b1) / 2)) KiB of $img on ext4 (no hole punched?)"
expect_eq "48M..50M intact" "$(range_sha "$DEV" $((48 * MiB)) $((2 * MiB)) direct)" "$(range_sha /tmp/vt51-pat 0 $((2 * MiB)))"
expect_eq "54M..56M intact" "$(range_sha "$DEV" $((54 * MiB)) $((2 * MiB)) direct)" "$(range_sha /tmp/vt51-pat $((6 * MiB)) $((2 * MiB)))"
# shellcheck disable=SC3040 # busybox ash has pipefail
expected=$(set -o pipefail; {
    read_range /tmp/vt51-pat 0 $((2 * MiB))
    head -c $((4 * MiB)) /dev/zero
    read_range /tmp/vt51-pat $((6 * MiB)) $((2 * MiB))
} | sha256sum) || fail "building the expected 48M..56M content failed"
expected=${expected%% *}
stop_daemon

# What the device showed is in the file (read through ext4 after the daemon is gone).
expect_eq "image bytes 48M..56M after stop" "$(range_sha "$img" $((48 * MiB)) $((8 * MiB)))" "$expected"
umount "$backing" || fail "umount $backing failed"
CLEANUP_MOUNTS=""
rc=0
/usr/sbin/e2fsck -fn "$ram" >/tmp/vt51-fsck.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat /tmp/vt51-fsck.txt; fail "e2fsck -fn $ram exited rc=$rc (backing ext4 not clean)"; }
log "ok: backing ext4 clean"
unload_brd
rm -f /tmp/vt51-pat
