#!/bin/sh
# SIGTERM detaches and destroys the device: exit 0, and no /dev/vduse/NAME,
# no vdpa device, no /dev/vdX afterwards.  The name is reusable afterwards.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt40down --ram 32M
[ -c "/dev/vduse/vt40down" ] || fail "/dev/vduse/vt40down missing while serving"
[ -e "/sys/bus/vdpa/devices/vt40down" ] || fail "vdpa device vt40down missing while serving"
dev=$DEV
# Some I/O first, so teardown happens after the queues were used.
dd if=/dev/zero of="$DEV" bs=64k count=16 oflag=direct 2>/dev/null || fail "write to $DEV failed"
stop_daemon # checks rc 0, /dev/vduse/NAME, vdpa device and $DEV are gone
[ ! -e "$dev" ] || fail "$dev still exists"
[ ! -e /sys/block/"${dev#/dev/}" ] || fail "/sys/block/${dev#/dev/} still exists"

# Same name again: everything of the first instance must really be gone.
start_daemon vt40down --ram 32M
stop_daemon
