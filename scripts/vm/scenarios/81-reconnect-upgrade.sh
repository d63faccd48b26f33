#!/bin/sh
# Upgrades: the daemon exits with SIGUSR1 (keeping the device) during mkfs.ext4 and during a file
# copy (each still running, with requests completing on the disk) and is started again; the filesystem checks clean and the files are intact. A second serve
# of a live name is refused; a takeover with other settings is refused and leaves the device as
# it was; the packed ring is taken over too.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

ARGS="--ram 256M --queues 2"
# shellcheck disable=SC2086
start_daemon vt81up $ARGS

# shellcheck disable=SC2086
expect_serve_refused "served by another process" $ARGS

# The upgrades come at a random moment of the job (sooner on a retry), once it has I/O on the disk.
mkfs_start() {
    /usr/sbin/mke2fs -t ext4 -F -q -E lazy_itable_init=0,lazy_journal_init=0 "$DEV" &
    JOB_PID=$!
    usleep $(($(random_ms 100 800) * 1000 / MOMENT_TRY))
}
io_moment 5 "mke2fs on $DEV" mkfs_start
mkfs=$JOB_PID
upgrade_exit_daemon
log "SIGUSR1 during mkfs (mkfs still running: $(proc_alive "$mkfs" && echo yes || echo no))"
expect_serve_refused "--queues" --ram 256M --queues 1
expect_serve_refused "size" --ram 128M --queues 2
expect_serve_refused "backend" --null 256M --queues 2
# shellcheck disable=SC2086
restart_daemon $ARGS
wait_gone "$mkfs" 300
rc=$WAIT_RC
[ "$rc" -eq 0 ] || fail "mke2fs exited rc=$rc across the upgrade"
log "ok: mkfs finished across the upgrade"

mnt=/mnt/vt81
src=/tmp/vt81-src
mkdir -p "$mnt" "$src"
mount -t ext4 "$DEV" "$mnt" || fail "mount $DEV failed"
CLEANUP_MOUNTS=$mnt
i=0
while [ "$i" -lt 40 ]; do
    dd if=/dev/urandom of="$src/f$i" bs=64k count=$((i % 13 + 1)) 2>/dev/null
    i=$((i + 1))
done
dd if=/dev/urandom of="$src/big" bs=1M count=24 2>/dev/null
(cd "$src" && sha256sum ./* | LC_ALL=C sort) >/tmp/vt81.sha256
copy_start() {
    rm -rf "$mnt/tree"
    (cp -a "$src" "$mnt/tree" && sync) &
    JOB_PID=$!
    usleep $(($(random_ms 200 800) * 1000 / MOMENT_TRY))
}
io_moment 5 "the copy to $mnt" copy_start
copy=$JOB_PID
upgrade_exit_daemon
log "SIGUSR1 during the copy"
# shellcheck disable=SC2086
restart_daemon $ARGS
wait_gone "$copy" 300
rc=$WAIT_RC
[ "$rc" -eq 0 ] || fail "copy exited rc=$rc across the upgrade"
umount "$mnt" || fail "umount failed"
CLEANUP_MOUNTS=""
/usr/sbin/blockdev --flushbufs "$DEV"
echo 3 >/proc/sys/vm/drop_caches
rc=0
/usr/sbin/e2fsck -fn "$DEV" || rc=$?
[ "$rc" -eq 0 ] || fail "e2fsck -fn exited rc=$rc after the upgrades"
log "ok: e2fsck clean"
mount -t ext4 -o ro "$DEV" "$mnt" || fail "remount failed"
CLEANUP_MOUNTS=$mnt
(cd "$mnt/tree" && sha256sum ./* | LC_ALL=C sort) >/tmp/vt81.after
cmp -s /tmp/vt81.sha256 /tmp/vt81.after || fail "copied files differ after the upgrades"
log "ok: $(wc -l </tmp/vt81.after) files intact"
umount "$mnt"
CLEANUP_MOUNTS=""
stop_daemon
[ ! -e "$STATE_DIR/vt81up.state" ] || fail "state file left after SIGTERM"

# A device left without its state file is refused unless --force.
start_daemon vt81force --ram 64M
upgrade_exit_daemon
rm -f "$STATE_DIR/vt81force.state"
expect_serve_refused "--force" --ram 64M
restart_daemon --ram 64M --force
run_fio_verify 4k
stop_daemon

# Packed ring: an upgrade during one fio verify round, a crash during the next.
ROUND=0
packed_fio() {
    ROUND=$((ROUND + 1))
    FIO_OUT=/tmp/vt81-packed-$ROUND.txt
    /usr/bin/fio --name=packed --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
        --iodepth=32 --size=16M --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 \
        --verify_state_save=0 >"$FIO_OUT" 2>&1 &
    JOB_PID=$!
}
packed_check() {
    grep -E 'err=' "$FIO_OUT" || true
    expect_fio_clean "fio round $ROUND on the packed ring" "$FIO_OUT" "$WAIT_RC"
}
start_daemon vt81packed --ram 64M --packed --queues 2
io_moment 3 "fio on the packed ring" packed_fio packed_check
upgrade_exit_daemon
restart_daemon --ram 64M --packed --queues 2
wait_gone "$JOB_PID" 300
packed_check
io_moment 3 "fio on the packed ring" packed_fio packed_check
crash_daemon
restart_daemon --ram 64M --packed --queues 2
wait_gone "$JOB_PID" 300
packed_check
stop_daemon
