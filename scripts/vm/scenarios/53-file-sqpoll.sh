#!/bin/sh
# --sqpoll: each queue's io_uring gets a kernel submission thread; data still verifies and the
# kernel thread (iou-sqp-PID) exists while the device is served.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

mkdir -p /tmp/sqpoll
start_daemon vt53sqp --file /tmp/sqpoll/disk.img --size 64M --sqpoll
found=0
for t in /proc/"$PID"/task/*; do
    case "$(cat "$t/comm")" in iou-sqp-*) found=1 ;; esac
done
[ "$found" -eq 1 ] || fail "no iou-sqp kernel thread under the daemon: --sqpoll did not take effect"
log "ok: SQPOLL thread present"
run_fio_verify 4k
stop_daemon
rm -rf /tmp/sqpoll
