#!/bin/sh
# File backend error paths and --read-only: a missing image exits 1 with one
# "cannot open" line and leaves no device; --read-only serves the image with
# ro=1, refuses writes and discards, reads the file's bytes and leaves it
# untouched; sizes that are not multiples of 512 are refused (2 for --size,
# a usage error; 1 for an existing file of such a size).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
dir=/tmp/vt52
rm -rf "$dir"
mkdir -p "$dir"


# --- missing image -----------------------------------------------------------------
serve_fails 1 vt52nofile --file /nonexistent/x.img
expect_msg "cannot open"
expect_msg "/nonexistent/x.img"
# With --size the file would be created, but its directory does not exist.
serve_fails 1 vt52nodir --file /nonexistent/x.img --size 16M
expect_msg "cannot open"
[ ! -e /nonexistent ] || fail "/nonexistent was created"

# --- sizes that are not a multiple of 512 --------------------------------------------
serve_fails 2 vt52odd --file "$dir/odd.img" --size 1000
[ ! -e "$dir/odd.img" ] || fail "--size 1000 (usage error) still created $dir/odd.img"
head -c 1000 /dev/urandom >"$dir/odd.img"
serve_fails 1 vt52oddfile --file "$dir/odd.img"
expect_msg "multiple"
expect_eq "odd image size untouched" "$(stat -c %s "$dir/odd.img")" 1000
: >"$dir/empty.img"
serve_fails 1 vt52empty --file "$dir/empty.img"

# --- --read-only ---------------------------------------------------------------------
ro_img=$dir/ro.img
dd if=/dev/urandom of="$ro_img" bs=1M count=16 status=none
img_sha=$(range_sha "$ro_img" 0 $((16 * MiB)))
# A read-only image cannot be extended to a larger --size.
serve_fails 1 vt52rogrow --file "$ro_img" --size 32M --read-only
expect_eq "image size after refused growth" "$(stat -c %s "$ro_img")" 16777216

start_daemon vt52ro --file "$ro_img" --read-only
expect_eq "ro" "$(sysval "$(sysblk)/ro")" 1
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 32768
if dd if=/dev/zero of="$DEV" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
    fail "write to read-only $DEV succeeded"
fi
log "ok: write to read-only $DEV refused"
if dd if=/dev/zero of="$DEV" bs=4096 seek=100 count=1 status=none conv=fsync 2>/dev/null; then
    fail "buffered write + fsync to read-only $DEV succeeded"
fi
log "ok: buffered write to read-only $DEV refused"
if /usr/sbin/blkdiscard -o 0 -l $MiB "$DEV" 2>/dev/null; then
    fail "blkdiscard on read-only $DEV succeeded"
fi
log "ok: blkdiscard on read-only $DEV refused"
expect_eq "device content = image" "$(range_sha "$DEV" 0 $((16 * MiB)) direct)" "$img_sha"
stop_daemon
expect_eq "image unchanged after read-only serve" "$(range_sha "$ro_img" 0 $((16 * MiB)))" "$img_sha"
rm -rf "$dir"
