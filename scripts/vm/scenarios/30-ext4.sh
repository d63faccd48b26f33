#!/bin/sh
# A real filesystem on the device: mkfs.ext4, copy a tree with known hashes,
# remount (caches dropped) and compare, then a clean read-only fsck.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt30ext4 --ram 256M
mnt=/mnt/vt30
src=/tmp/vt30-src
mkdir -p "$mnt" "$src"

/usr/sbin/mke2fs -t ext4 -F -q "$DEV" || fail "mke2fs on $DEV failed"
mount -t ext4 "$DEV" "$mnt" || fail "mount $DEV failed"
CLEANUP_MOUNTS=$mnt

# 300 small files in 10 directories plus a few larger ones, random content.
d=0
while [ "$d" -lt 10 ]; do
    mkdir -p "$src/d$d"
    f=0
    while [ "$f" -lt 30 ]; do
        dd if=/dev/urandom of="$src/d$d/f$f" bs=512 count=$(((d * 30 + f) % 17 + 1)) 2>/dev/null
        f=$((f + 1))
    done
    d=$((d + 1))
done
dd if=/dev/urandom of="$src/big1" bs=1M count=8 2>/dev/null
dd if=/dev/urandom of="$src/big2" bs=64k count=37 2>/dev/null
: >"$src/empty"
(cd "$src" && find . -type f | LC_ALL=C sort | xargs sha256sum) >/tmp/vt30.sha256
log "source tree: $(wc -l </tmp/vt30.sha256) files, $(du -sk "$src" | cut -f1) KiB"

cp -a "$src" "$mnt/tree" || fail "copy to ext4 failed"
sync
umount "$mnt" || fail "umount failed"
CLEANUP_MOUNTS=""
# Make the remount read from the device, not from cached buffers.
/usr/sbin/blockdev --flushbufs "$DEV"
echo 3 >/proc/sys/vm/drop_caches

mount -t ext4 "$DEV" "$mnt" || fail "remount $DEV failed"
CLEANUP_MOUNTS=$mnt
(cd "$mnt/tree" && find . -type f | LC_ALL=C sort | xargs sha256sum) >/tmp/vt30.after
if ! cmp -s /tmp/vt30.sha256 /tmp/vt30.after; then
    diff /tmp/vt30.sha256 /tmp/vt30.after | head -n 20 >&2 || true
    fail "file contents differ after remount"
fi
log "ok: $(wc -l </tmp/vt30.after) files identical after remount"
umount "$mnt" || fail "final umount failed"
CLEANUP_MOUNTS=""

rc=0
/usr/sbin/e2fsck -fn "$DEV" || rc=$?
[ "$rc" -eq 0 ] || fail "e2fsck -fn exited rc=$rc (filesystem not clean)"
log "ok: e2fsck clean"
stop_daemon
