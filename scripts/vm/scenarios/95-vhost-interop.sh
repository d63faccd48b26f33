#!/bin/sh
# A VDUSE device served to a userspace driver through vhost-vdpa, as a new user would set it up
# today: `serve --no-attach`, the vDPA device added by hand and bound to vhost_vdpa (unbound from
# virtio_vdpa, which takes it first), then Debian's qemu-io through libblkio's
# virtio-blk-vhost-vdpa driver: a pattern written reads back, flush, write-zeroes reads back as
# zeroes, and the daemon's stats count the requests. Nothing is optional: a missing module, qemu-io
# or libblkio fails the scenario.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

NAME=vt95
need_tool /usr/bin/qemu-io
load_vhost_vdpa
DAEMON_OUT=/tmp/daemon-$NAME.out DAEMON_ERR=/tmp/daemon-$NAME.err
log "start: vduse-blk serve --name $NAME --ram 64M --no-attach"
"$VDUSE_BLK" serve --name "$NAME" --ram 64M --no-attach >"$DAEMON_OUT" 2>"$DAEMON_ERR" &
PID=$!
_created() { grep -q "^created $NAME /dev/vduse/$NAME\$" "$DAEMON_OUT"; }
wait_until 15 "the daemon to create /dev/vduse/$NAME" _created
/usr/sbin/vdpa dev add name "$NAME" mgmtdev vduse || fail "vdpa dev add $NAME failed"
vhost_bind "$NAME"

out=$(qemu_io_vhost "$VHOST_DEV" "write -P 0xab 1M 1M" "read -P 0xab 1M 1M" "flush" "write -z 1536k 64k" "read -P 0 1536k 64k" "read -P 0xab 1600k 64k")
log "qemu-io: $(echo "$out" | grep -c '^wrote\|^read') transfers done"
echo "$out" | sed 's/^/    /'
# A second user after the first closed the device: the daemon went through its reset.
qemu_io_vhost "$VHOST_DEV" "read -P 0xab 1M 512k" >/dev/null
s=$(stats_json)
[ "$(json_total "$s" requests)" -gt 0 ] || fail "stats count no requests after qemu-io: $s"
expect_eq "I/O errors" "$(json_total "$s" io_errors)" 0
proc_alive "$PID" || fail "the daemon exited; $(daemon_stderr)"

/usr/sbin/vdpa dev del "$NAME" || fail "vdpa dev del $NAME failed"
stop_daemon
