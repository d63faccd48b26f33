#!/bin/sh
# The NBD backend against real servers in the guest: nbdkit's file plugin over a tmpfs image on
# 127.0.0.1 (multi-conn, so one connection per queue, 2 queues; then with the multi-conn filter
# withholding it, so the 2 queues share one connection) and qemu-nbd over a qcow2 image on
# a unix socket (1 queue; it refuses names other than its own export). fio crc32c verify at 4k and
# 64k, discard and write-zeroes read back as zeroes, mkfs.ext4 + e2fsck, and what the guest wrote
# is in the server's image after the daemon stops. A bad URI exits 2, an unreachable server and a
# missing export exit 1 with one line saying why.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
port=10809 sock=/tmp/vt90-qemu.sock dir=/tmp/vt90
rm -rf "$dir"
mkdir -p "$dir"

# --- start-up errors ----------------------------------------------------------------------------
loopback_up
serve_fails 2 vt90bad --nbd disk.img
expect_msg "is not an NBD URI"
serve_fails 1 vt90bad --nbd "nbd://127.0.0.1:$port/"
expect_msg "cannot connect to 127.0.0.1:$port: ECONNREFUSED"

# --- nbdkit, file plugin on tmpfs, 2 queues -------------------------------------------------------
dd if=/dev/zero of="$dir/disk.img" bs=1M count=0 seek=64 status=none
start_nbdkit "$port" file "$dir/disk.img"

start_daemon vt90nbdkit --nbd "nbd://127.0.0.1:$port/" --queues 2
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 131072
run_fio_verify 4k
run_fio_verify 64k
expect_discard_and_zeroes "$dir/pat" # nbdkit's file plugin serves trim and write zeroes
stop_daemon
expect_eq "the server's image holds 3M..4M" "$(range_sha "$dir/disk.img" $((3 * MiB)) $MiB)" "$(range_sha "$dir/pat" $((3 * MiB)) $MiB)"
stop_nbdkit "$NBDKIT_PID"

# --- nbdkit without multi-conn: 2 queues share one connection; its block sizes shape the disk ------
start_nbdkit "$port" --filter=multi-conn --filter=blocksize-policy file "$dir/disk.img" multi-conn-mode=disable \
    blocksize-preferred=64K blocksize-maximum=256K
start_daemon vt90shared --nbd "nbd://127.0.0.1:$port/" --queues 2
grep -q "one connection for 2 queues" "$DAEMON_ERR" || fail "without NBD_FLAG_CAN_MULTI_CONN the 2 queues should share one connection; $(daemon_stderr)"
q=$(sysblk)/queue
expect_eq "optimal_io_size (the server's preferred block)" "$(sysval "$q/optimal_io_size")" 65536
expect_eq "max_segment_size (the server's maximum payload)" "$(sysval "$q/max_segment_size")" 262144
expect_eq "discard_granularity (the preferred block)" "$(sysval "$q/discard_granularity")" 65536
out=/tmp/fio-vt90shared.txt rc=0
/usr/bin/fio --name=shared --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
    --iodepth=16 --numjobs=2 --cpus_allowed_policy=split --cpus_allowed=0,1 --offset_increment=16M --size=16M \
    --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --verify_state_save=0 --group_reporting >"$out" 2>&1 || rc=$?
expect_fio_clean "fio numjobs=2 over the shared connection" "$out" "$rc"
stop_daemon
stop_nbdkit "$NBDKIT_PID"

# --- qemu-nbd, qcow2, unix socket ------------------------------------------------------------------
make_qcow2 "$dir/disk.qcow2" 128M
start_qemu_nbd "$sock" "$dir/disk.qcow2"
# nbdkit's file plugin serves any export name; qemu-nbd knows only its own ("").
serve_fails 1 vt90bad --nbd "nbd+unix:///nosuch?socket=$sock"
expect_msg "refused export 'nosuch': NBD_REP_ERR_UNKNOWN"
start_daemon vt90qemu --nbd "nbd+unix:///?socket=$sock"
run_fio_verify 4k
/usr/sbin/mkfs.ext4 -q -F "$DEV" || fail "mkfs.ext4 on $DEV failed"
out=$(/usr/sbin/e2fsck -fn "$DEV" 2>&1) || fail "e2fsck after mkfs: $out"
log "ok: mkfs.ext4 + e2fsck -fn on $DEV"
stop_daemon
stop_qemu_nbd "$QEMU_NBD_PID"
out=$("$QEMU_IMG" check -q "$dir/disk.qcow2" 2>&1) || fail "qemu-img check: $out"
rm -rf "$dir"
