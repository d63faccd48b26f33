#!/bin/sh
# The packed ring: with --packed the guest negotiates VIRTIO_F_RING_PACKED (bit 34 of the virtio
# device's features in sysfs), and data verifies through it on 2 queues, also across a reset.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt62packed --ram 128M --packed --queues 2
virtio=$(basename "$(readlink -f /sys/bus/vdpa/devices/vt62packed/virtio*)")
features=$(cat "/sys/bus/virtio/devices/$virtio/features")
log "negotiated features: $features"
# The sysfs string is one character per feature bit, bit 0 first.
[ "$(echo "$features" | cut -c35)" = 1 ] || fail "VIRTIO_F_RING_PACKED (bit 34) not negotiated: $features"
[ "$(echo "$features" | cut -c29)" = 1 ] || fail "VIRTIO_RING_F_INDIRECT_DESC (bit 28) not negotiated"
[ "$(echo "$features" | cut -c30)" = 1 ] || fail "VIRTIO_RING_F_EVENT_IDX (bit 29) not negotiated"
log "ok: packed ring negotiated"
run_fio_verify 4k
run_fio_verify 64k

# A reset restarts the packed rings from scratch.
echo "$virtio" >/sys/bus/virtio/drivers/virtio_blk/unbind || fail "unbind failed"
echo "$virtio" >/sys/bus/virtio/drivers/virtio_blk/bind || fail "rebind failed"
wait_rebound "$virtio"
run_fio_verify 4k
stop_daemon
