#!/bin/sh
# File backend on tmpfs, served from a shared mapping: an image created by
# --size, fio verify at 4k/64k, DISCARD (blkdiscard) and WRITE_ZEROES
# (blkdiscard -z) read back zeroes and free the image's pages (MADV_REMOVE
# punches holes), FLUSH reaches the device, and after SIGTERM the image file
# holds exactly what the device showed.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
img_dir=/tmp/vt50
img=$img_dir/disk.img
rm -rf "$img_dir"
mkdir -p "$img_dir"
blocks() { stat -c %b "$img"; } # 512-byte units allocated to the image

start_daemon vt50tmpfs --file "$img" --size 64M --queues "$(nproc)"
[ -f "$img" ] || fail "--size did not create $img"
grep -q "shared mapping" "$DAEMON_ERR" || fail "the tmpfs image is not served from a shared mapping: $(cat "$DAEMON_ERR")"
expect_eq "image size (bytes)" "$(stat -c %s "$img")" 67108864
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 131072
expect_eq "ro" "$(sysval "$(sysblk)/ro")" 0
q=$(sysblk)/queue
log "discard_max_bytes=$(sysval "$q/discard_max_bytes") discard_granularity=$(sysval "$q/discard_granularity")" \
    "write_zeroes_max_bytes=$(sysval "$q/write_zeroes_max_bytes") write_cache=$(sysval "$q/write_cache")"
[ "$(sysval "$q/discard_max_bytes")" -gt 0 ] || fail "discard_max_bytes is 0: DISCARD not offered"
[ "$(sysval "$q/write_zeroes_max_bytes")" -gt 0 ] || fail "write_zeroes_max_bytes is 0: WRITE_ZEROES not offered"
expect_eq "write_cache (FLUSH offered)" "$(sysval "$q/write_cache")" "write back"

run_fio_verify 4k
run_fio_verify 64k

# --- DISCARD / WRITE_ZEROES ---------------------------------------------------------
# 8 MiB of known data at offset 0; then punch pieces of it.
dd if=/dev/urandom of=/tmp/vt50-pat bs=1M count=8 status=none
dd if=/tmp/vt50-pat of="$DEV" bs=1M oflag=direct conv=fsync status=none || fail "pattern write to $DEV failed"
[ "$(range_sha "$DEV" 0 $((8 * MiB)) direct)" = "$(range_sha /tmp/vt50-pat 0 $((8 * MiB)))" ] ||
    fail "8 MiB pattern does not read back from $DEV"
log "ok: 8 MiB pattern written and read back"
expect_pat() { # what offset length: device range still holds the pattern
    [ "$(range_sha "$DEV" "$2" "$3" direct)" = "$(range_sha /tmp/vt50-pat "$2" "$3")" ] ||
        fail "$1: $3 bytes at $2 no longer hold the pattern"
    log "ok: $1 intact"
}

b0=$(blocks)
d0=$(devstat 12)
log "blkdiscard -o 2M -l 2M $DEV (image: $b0 blocks)"
/usr/sbin/blkdiscard -o $((2 * MiB)) -l $((2 * MiB)) "$DEV" || fail "blkdiscard of 2M..4M failed"
# Blocks are counted before anything reads the range back: the image is served from a shared
# mapping, and a read fault on a tmpfs hole allocates the page again. blkdiscard itself probes the
# disk for signatures (about 1 MiB of reads around the call), so the bounds leave room for that:
# without holes punched nothing would be freed at all.
b1=$(blocks)
log "image blocks after discarding 2 MiB: $b0 -> $b1 (freed $(((b0 - b1) / 2)) KiB)"
[ $((b0 - b1)) -ge 2048 ] || fail "discard of 2 MiB freed only $(((b0 - b1) / 2)) KiB of $img (no hole punched?)"
[ "$(devstat 12)" -gt "$d0" ] || fail "blkdiscard did not reach $DEV as DISCARD (discard I/Os $d0 -> $(devstat 12))"
expect_zero "discarded 2M..4M" "$DEV" $((2 * MiB)) $((2 * MiB)) direct
expect_pat "0..2M before the discard" 0 $((2 * MiB))
expect_pat "4M..8M after the discard" $((4 * MiB)) $((4 * MiB))

# WRITE_ZEROES (BLKZEROOUT, no unmap): page-aligned and a 512-byte-aligned
# piece inside a page (tmpfs must zero part of a page, not drop it).
w0=$(devstat 5)
b1=$(blocks)
log "blkdiscard -z -o 5M -l 1M $DEV"
/usr/sbin/blkdiscard -z -o $((5 * MiB)) -l $MiB "$DEV" || fail "blkdiscard -z of 5M..6M failed"
b2=$(blocks)
log "image blocks after zeroing 1 MiB: $b1 -> $b2 (freed $(((b1 - b2) / 2)) KiB)"
[ $((b1 - b2)) -ge 1024 ] || fail "WRITE_ZEROES of 1 MiB on tmpfs freed only $(((b1 - b2) / 2)) KiB (want whole pages given back)"
expect_zero "write-zeroed 5M..6M" "$DEV" $((5 * MiB)) $MiB direct
expect_pat "4M..5M before the zeroed range" $((4 * MiB)) $MiB
expect_pat "6M..7M after the zeroed range" $((6 * MiB)) $MiB
odd=$((7 * MiB + 512))
log "blkdiscard -z -o $odd -l 1536 $DEV (inside one page)"
/usr/sbin/blkdiscard -z -o "$odd" -l 1536 "$DEV" || fail "blkdiscard -z of 1536 bytes at $odd failed"
expect_zero "write-zeroed 1536 bytes at 7M+512" "$DEV" "$odd" 1536 direct
expect_pat "512 bytes before it" $((7 * MiB)) 512
expect_pat "7M+2048..8M after it" $((7 * MiB + 2048)) $((MiB - 2048))
[ "$(devstat 5)" -gt "$w0" ] || fail "write I/O count did not move for WRITE_ZEROES"

log "blkdiscard (whole device) $DEV"
/usr/sbin/blkdiscard "$DEV" || fail "blkdiscard of the whole device failed"
b3=$(blocks)
log "image blocks after whole-device discard: $b3"
[ "$b3" -lt 4096 ] || fail "whole-device discard left $((b3 / 2)) KiB allocated in $img"
expect_zero "whole device after blkdiscard" "$DEV" 0 $((64 * MiB)) direct

# --- FLUSH and the bytes in the image -------------------------------------------------
dd if=/dev/urandom of=/tmp/vt50-pat8 bs=1M count=8 status=none
pat8=$(range_sha /tmp/vt50-pat8 0 $((8 * MiB)))
f0=$(devstat 16)
dd if=/tmp/vt50-pat8 of="$DEV" bs=1M seek=40 oflag=direct conv=fsync status=none || fail "8 MiB write at 40M failed"
dd if=/dev/urandom of="$DEV" bs=4k seek=100 count=3 oflag=direct conv=fsync status=none || fail "small write at 400K failed"
sync
[ "$(devstat 16)" -gt "$f0" ] || fail "fsync on $DEV sent no FLUSH (flush I/Os $f0 -> $(devstat 16))"
log "ok: FLUSH requests: $f0 -> $(devstat 16)"
expect_eq "8 MiB at 40M on the device" "$(range_sha "$DEV" $((40 * MiB)) $((8 * MiB)) direct)" "$pat8"
whole_dev=$(range_sha "$DEV" 0 $((64 * MiB)) direct)
log "device sha256 $whole_dev"
stop_daemon

expect_eq "image size after stop (bytes)" "$(stat -c %s "$img")" 67108864
expect_eq "8 MiB at 40M in the image" "$(range_sha "$img" $((40 * MiB)) $((8 * MiB)))" "$pat8"
expect_eq "whole image sha256 (= device before stop)" "$(range_sha "$img" 0 $((64 * MiB)))" "$whole_dev"
rm -rf "$img_dir" /tmp/vt50-pat /tmp/vt50-pat8
