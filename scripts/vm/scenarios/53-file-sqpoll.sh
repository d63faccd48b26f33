#!/bin/sh
# --sqpoll: each queue's io_uring gets a kernel submission thread; data still verifies and the
# kernel thread (iou-sqp-PID) exists while the device is served. The image is a buffered file on
# ext4 (brd), so requests go through io_uring (a file on tmpfs would be served from a mapping).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

mount_brd_ext4 /dev/ram0 /mnt/sqpoll
start_daemon vt53sqp --file /mnt/sqpoll/disk.img --size 64M --sqpoll
grep -q "shared mapping" "$DAEMON_ERR" && fail "the ext4 image was mapped instead of served through io_uring"
found=0
for t in /proc/"$PID"/task/*; do
    case "$(cat "$t/comm")" in iou-sqp-*) found=1 ;; esac
done
[ "$found" -eq 1 ] || fail "no iou-sqp kernel thread under the daemon: --sqpoll did not take effect"
log "ok: SQPOLL thread present"
run_fio_verify 4k
stop_daemon
