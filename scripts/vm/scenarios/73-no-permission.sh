#!/bin/sh
# serve as an unprivileged user: /dev/vduse/control is root's, so one line says how to fix it, exit 1,
# and nothing is left behind.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group || echo 'nogroup:x:65534:' >>/etc/group
log "$(ls -l /dev/vduse/control)"
[ "$(su -s /bin/sh nobody -c 'id -u')" = 65534 ] || fail "su to nobody does not work here"

rc=0
su -s /bin/sh nobody -c "$VDUSE_BLK serve --name vt73perm --ram 16M --state-dir /tmp/vt73" \
    >/tmp/vt73.out 2>/tmp/vt73.err || rc=$?
expect_one_line_error "vduse-blk: no permission to open /dev/vduse/control (EACCES" "$rc" "$(cat /tmp/vt73.err)"
grep -q "run vduse-blk as root" /tmp/vt73.err || fail "the message does not say to run as root: $(cat /tmp/vt73.err)"
[ ! -s /tmp/vt73.out ] || fail "stdout not empty: $(cat /tmp/vt73.out)"
[ ! -e /dev/vduse/vt73perm ] || fail "/dev/vduse/vt73perm exists"
[ ! -e /tmp/vt73/vt73perm.sock ] || fail "a control socket was left"
