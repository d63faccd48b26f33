#!/bin/sh
# Resize through the control socket: a --file on tmpfs grows its image and /dev/vdX in place (same
# disk, no re-attach), fio verifies past the old end and the data before it survives; sizes must be
# multiples of the logical block size; a shrink needs --force (and keeps the image's bytes);
# --null only changes its capacity; --ram grows its image in place, and a successor process must
# serve the new size (the state file records it).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576

# resize_refused WANT ARGS...: `vduse-blk resize $NAME ARGS` exits 1 with one line saying WANT.
resize_refused() {
    _want=$1
    shift
    _rc=0
    _err=$("$VDUSE_BLK" resize "$NAME" "$@" 2>&1 >/dev/null) || _rc=$?
    expect_one_line_error "$_want" "$_rc" "$_err"
}

# wait_sectors N: virtio_blk applies a capacity change from a work item: allow it a moment.
_sectors_are() { [ "$(sysval "$(sysblk)/size")" = "$1" ]; }
wait_sectors() {
    poll_until 5 _sectors_are "$1" || true
    expect_eq "$(sysblk)/size (sectors)" "$(sysval "$(sysblk)/size")" "$1"
}

# --- file on tmpfs ------------------------------------------------------------------
img_dir=/tmp/vt70
img=$img_dir/disk.img
rm -rf "$img_dir"
mkdir -p "$img_dir"
start_daemon vt70file --file "$img" --size 64M
wait_sectors 131072
dev=$DEV
# A known MiB just below the old end must be there after the growth.
dd if=/dev/urandom of=/tmp/vt70-pat bs=1M count=1 status=none
dd if=/tmp/vt70-pat of="$DEV" bs=1M seek=63 oflag=direct status=none || fail "pattern write at 63M failed"
pat=$(range_sha /tmp/vt70-pat 0 $MiB)

out=$("$VDUSE_BLK" resize "$NAME" 96M) || fail "vduse-blk resize $NAME 96M failed"
expect_eq "resize output" "$out" "resized $NAME: 64 MiB -> 96 MiB"
wait_sectors $((96 * MiB / 512))
expect_eq "blockdev --getsize64 $DEV" "$(/usr/sbin/blockdev --getsize64 "$DEV")" $((96 * MiB))
expect_eq "image size (bytes)" "$(stat -c %s "$img")" $((96 * MiB))
expect_eq "vdpa device still the same disk" "$(ls "/sys/bus/vdpa/devices/$NAME/"virtio*/block)" "${dev#/dev/}"
dmesg | grep -i "${dev#/dev/}.*capacity change" | tail -n 1 || true

run_fio_verify 4k --offset=64M
expect_eq "1 MiB below the old end" "$(range_sha "$DEV" $((63 * MiB)) $MiB direct)" "$pat"

resize_refused "is not a positive multiple of the logical block size 512" 100000
resize_refused "shrinking from 96 MiB to 32 MiB makes the data past the new end unreachable: add --force" 32M
expect_eq "size after refusals (sectors)" "$(sysval "$(sysblk)/size")" $((96 * MiB / 512))

"$VDUSE_BLK" resize "$NAME" 48M --force >/dev/null || fail "forced shrink to 48M failed"
wait_sectors $((48 * MiB / 512))
expect_eq "image size after the shrink (bytes kept)" "$(stat -c %s "$img")" $((96 * MiB))
expect_eq "1 MiB at 63M in the image" "$(range_sha "$img" $((63 * MiB)) $MiB)" "$pat"
stop_daemon
rm -rf "$img_dir" /tmp/vt70-pat

# --- null: only the capacity changes ------------------------------------------------------
start_daemon vt70null --null 1G --logical-block-size 4096
resize_refused "is not a positive multiple of the logical block size 4096" $((1024 * MiB + 512))
"$VDUSE_BLK" resize "$NAME" 2G >/dev/null || fail "resize of --null to 2G failed"
wait_sectors 4194304
stop_daemon

# --- ram: grows in place; the new size is what a successor must serve --------------------
start_daemon vt70ram --ram 64M
"$VDUSE_BLK" resize "$NAME" 96M >/dev/null || fail "resize of --ram to 96M failed"
wait_sectors $((96 * MiB / 512))
expect_eq "RAM image size (bytes)" "$(stat -c %s "$STATE_DIR/$NAME.ram")" $((96 * MiB))
run_fio_verify 4k --offset=64M
upgrade_exit_daemon
expect_serve_refused "size" --ram 64M
restart_daemon --ram 96M
run_fio_verify 4k --offset=64M
stop_daemon
