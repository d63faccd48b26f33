#!/bin/sh
# The device served to a userspace driver through vhost-vdpa: `serve --vhost` exits 1 naming
# vhost_vdpa while it is not loaded; with it loaded (and virtio_vdpa too, which would take the
# device first) it prints `ready NAME /dev/vhost-vdpa-N` and no /dev/vdX appears. Debian's qemu-io
# through libblkio's virtio-blk-vhost-vdpa driver then writes a pattern that reads back, flushes,
# writes zeroes that read back as zeroes; qemu-img converts an image onto the device and compares
# it, a discard reads back as zeroes; after a SIGKILL the next `serve --vhost` takes the device
# over on the same /dev/vhost-vdpa-N and the pattern is still there. Nothing is optional: a
# missing module, qemu-io or libblkio fails the scenario.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

need_tool /usr/bin/qemu-io
serve_fails 1 vt95bad --ram 64M --vhost
expect_msg "the vhost_vdpa module is not loaded: modprobe vhost_vdpa"
load_vhost_vdpa

# virtio_disks: how many /dev/vdX the host has.
virtio_disks() {
    _n=0
    for _d in /sys/block/vd*; do [ -e "$_d" ] && _n=$((_n + 1)); done
    echo "$_n"
}
vds_before=$(virtio_disks)
start_daemon vt95 --ram 64M --queues 2 --vhost
case "$DEV" in /dev/vhost-vdpa-*) ;; *) fail "serve --vhost announced $DEV, not /dev/vhost-vdpa-N" ;; esac
expect_eq "virtio disks on the host with --vhost" "$(virtio_disks)" "$vds_before"
expect_eq "the vDPA device's driver" "$(basename "$(readlink /sys/bus/vdpa/devices/vt95/driver)")" vhost_vdpa

out=$(qemu_io_vhost "$DEV" "write -P 0xab 1M 1M" "read -P 0xab 1M 1M" "flush" "write -z 1536k 64k" "read -P 0 1536k 64k" "read -P 0xab 1600k 64k")
log "qemu-io: $(echo "$out" | grep -c '^wrote\|^read') transfers verified"
s=$(stats_json)
[ "$(json_total "$s" requests)" -gt 0 ] || fail "stats count no requests after qemu-io: $s"
expect_eq "I/O errors" "$(json_total "$s" io_errors)" 0
case "$s" in *'"mode":"vhost-vdpa"'*) ;; *) fail "stats does not say vhost-vdpa mode: $s" ;; esac

# --- qemu-img convert of an image onto the device, compare, and discard --------------------------
need_tool "$QEMU_IMG"
vhost_opts="driver=virtio-blk-vhost-vdpa,path=$DEV,cache.direct=on"
dd if=/dev/urandom of=/tmp/vt95.img bs=1M count=16 status=none
dd if=/dev/zero of=/tmp/vt95.img bs=1M count=0 seek=64 status=none # 64 MiB: 16 random, the rest a hole
out=$("$QEMU_IMG" convert -n -f raw /tmp/vt95.img --target-image-opts "$vhost_opts" 2>&1) || fail "qemu-img convert onto $DEV: $out"
out=$("$QEMU_IMG" compare --image-opts "driver=raw,file.driver=file,file.filename=/tmp/vt95.img" "$vhost_opts" 2>&1) ||
    fail "qemu-img compare of the image and $DEV: $out"
log "ok: qemu-img convert onto $DEV, compare: $out"
qemu_io_vhost "$DEV" "discard 4M 1M" "read -P 0 4M 1M" >/dev/null
log "ok: discard through libblkio reads back as zeroes"
qemu_io_vhost "$DEV" "write -P 0xab 1M 1M" "write -z 1536k 64k" >/dev/null
rm -f /tmp/vt95.img

# --- takeover: the same character device, the same bytes -----------------------------------------
crash_daemon
restart_daemon --ram 64M --queues 2 --vhost
qemu_io_vhost "$DEV" "read -P 0xab 1M 512k" "read -P 0 1536k 64k" >/dev/null
log "ok: after the takeover qemu-io reads the pattern on $DEV"
stop_daemon
[ ! -e /sys/bus/vdpa/devices/vt95 ] || fail "the vDPA device is left after SIGTERM"
