#!/bin/sh
# A device reset in the middle of I/O (unbind and rebind the virtio driver) is survived: the daemon
# stops its queues, restarts them at the next DRIVER_OK, and I/O works afterwards.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt61reset --ram 64M --queues 2
virtio=$(basename "$(readlink -f "/sys/bus/vdpa/devices/vt61reset/"virtio*)")
[ -n "$virtio" ] || fail "no virtio device under the vdpa device"
log "virtio device: $virtio"

# Keep I/O in flight while the driver goes away; this reader is expected to see errors. The unbind
# comes once fio runs and requests complete on the disk (fio starts slowly under TCG).
bg_fio() {
    ( /usr/bin/fio --name=bg --filename="$DEV" --ioengine=libaio --direct=1 --rw=randrw --bs=4k \
        --iodepth=32 --runtime=30 --time_based >/dev/null 2>&1 || true ) &
    JOB_PID=$!
}
io_moment 3 "fio randrw on $DEV" bg_fio
echo "$virtio" >/sys/bus/virtio/drivers/virtio_blk/unbind || fail "unbind failed"
wait "$JOB_PID" || true
log "unbound $virtio during I/O"
echo "$virtio" >/sys/bus/virtio/drivers/virtio_blk/bind || fail "rebind failed"
proc_alive "$PID" || fail "daemon died across the reset; $(daemon_stderr)"

wait_rebound "$virtio"
run_fio_verify 4k
stop_daemon
