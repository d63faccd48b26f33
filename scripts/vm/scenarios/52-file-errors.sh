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

# serve_fails RC NAME ARGS...: vduse-blk serve --name NAME ARGS... must exit
# with RC within 15 s, print nothing on stdout and exactly one stderr line,
# and leave no VDUSE device behind.  The stderr line is left in $ERRLINE.
ERRLINE=""
serve_fails() {
    want=$1 name=$2
    shift 2
    log "expect rc=$want: vduse-blk serve --name $name $*"
    t0=$(cut -d' ' -f1 /proc/uptime)
    rc=0
    timeout 30 "$VDUSE_BLK" serve --name "$name" "$@" >"$dir/out" 2>"$dir/err" </dev/null || rc=$?
    secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
    ERRLINE=$(cat "$dir/err")
    [ "$rc" -eq "$want" ] || fail "serve $*: exit $rc after ${secs}s, want $want; stderr: '$ERRLINE'; stdout: '$(cat "$dir/out")'"
    awk -v s="$secs" 'BEGIN { exit !(s < 15) }' || fail "serve $*: took ${secs}s to fail"
    [ ! -s "$dir/out" ] || fail "serve $*: printed on stdout: '$(cat "$dir/out")'"
    lines=$(wc -l <"$dir/err")
    [ "$lines" -eq 1 ] || fail "serve $*: $lines stderr lines, want 1: '$ERRLINE'"
    [ ! -e "/dev/vduse/$name" ] || fail "serve $*: /dev/vduse/$name left behind"
    [ ! -e "/sys/bus/vdpa/devices/$name" ] || fail "serve $*: vdpa device $name left behind"
    log "ok: rc=$rc in ${secs}s: $ERRLINE"
}
expect_msg() { # substring
    case "$ERRLINE" in *"$1"*) ;; *) fail "stderr '$ERRLINE' does not contain '$1'" ;; esac
}

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
