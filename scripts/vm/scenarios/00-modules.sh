#!/bin/sh
# The VDUSE stack is loaded and /dev/vduse/control exists.  Does not source
# lib.sh (which needs the binary): this must work with any binary.
set -eu

missing=""
for m in vhost_iotlb vdpa vduse virtio_vdpa virtio_blk; do
    if [ -d "/sys/module/$m" ]; then
        echo "--- module $m: loaded"
    else
        echo "--- module $m: MISSING"
        missing="$missing $m"
    fi
done

if [ ! -c /dev/vduse/control ]; then
    echo "FAIL: /dev/vduse/control missing; modules not loaded:${missing:- (none; vduse loaded but no control node?)}" >&2
    exit 1
fi
[ -z "$missing" ] || { echo "FAIL: modules missing:$missing" >&2; exit 1; }

# virtio_vdpa must be bound to the vdpa bus, or attached devices never
# become virtio devices (and no /dev/vdX appears).
[ -d /sys/bus/vdpa/drivers/virtio_vdpa ] ||
    { echo "FAIL: virtio_vdpa driver not registered on the vdpa bus" >&2; exit 1; }
[ -d /sys/bus/virtio/drivers/virtio_blk ] ||
    { echo "FAIL: virtio_blk driver not registered on the virtio bus" >&2; exit 1; }

echo "--- /dev/vduse/control: $(ls -l /dev/vduse/control)"
echo "--- kernel $(uname -r), $(nproc) CPUs"
