#!/bin/sh
# The demo behind scripts/try.sh (not part of "all"): serve a RAM disk, format it, mount it and run a
# short fio random read/write job on a file in it, printing fio's result.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon demo --ram 512M --queues "$(nproc)" --serial vduse-demo
log "serial: $(cat "$(sysblk)/serial" 2>/dev/null || echo '?')"
/usr/sbin/mke2fs -q -t ext4 -F "$DEV" || fail "mke2fs failed"
mkdir -p /mnt/demo
mount -t ext4 "$DEV" /mnt/demo || fail "mount failed"
log "mounted $DEV on /mnt/demo: $(df -h /mnt/demo | tail -n 1)"
rc=0
/usr/bin/fio --name=demo --directory=/mnt/demo --size=64M --ioengine=libaio --direct=1 \
    --rw=randrw --bs=4k --iodepth=16 --runtime=10 --time_based --group_reporting || rc=$?
umount /mnt/demo
stop_daemon
[ "$rc" -eq 0 ] || fail "fio exited rc=$rc"
