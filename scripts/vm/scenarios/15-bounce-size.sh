#!/bin/sh
# --bounce-size sets the VDUSE bounce buffer through sysfs before the attach, and I/O still works.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

start_daemon vt15bounce --ram 64M --bounce-size 16M
got=$(cat "/sys/class/vduse/vt15bounce/bounce_size")
[ "$got" = 16777216 ] || fail "bounce_size is '$got', want 16777216"
log "ok: bounce_size = $got"
dd if=/dev/urandom of=/tmp/bounce.pat bs=1M count=8 2>/dev/null
dd if=/tmp/bounce.pat of="$DEV" bs=1M oflag=direct 2>/dev/null || fail "write through the device failed"
dd if="$DEV" of=/tmp/bounce.back bs=1M count=8 iflag=direct 2>/dev/null || fail "read through the device failed"
cmp /tmp/bounce.pat /tmp/bounce.back || fail "data read back differs from data written"
log "ok: 8 MiB round trip through a 16 MiB bounce buffer"
stop_daemon
