#!/bin/sh
# The NBD test infrastructure works: trixie's nbdkit (memory plugin, behind the error, delay and
# pause filters doing nothing) on 127.0.0.1:10809 and qemu-nbd (a qcow2 image) on a unix socket,
# each attached with the kernel NBD client; a pattern written with dd reads back the same, from
# the server after a reconnect, and lands in the qcow2 image. Nothing is optional: a missing tool,
# plugin, filter or module fails the scenario.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

port=10809 sock=/tmp/qemu-nbd.sock img=/tmp/nbd1.qcow2 size=67108864
off=8388608 len=4194304 # 4 MiB at 8 MiB

# The file plugin is not used below; nbdkit loading it (and its libraries) is the check.
need_tool "$NBDKIT"
out=$("$NBDKIT" file --dump-plugin 2>&1) || fail "nbdkit cannot load its file plugin: $out"
load_nbd 2
start_nbdkit "$port" --filter=error --filter=delay --filter=pause memory 64M \
    pause-control=/tmp/nbdkit-pause.sock
make_qcow2 "$img" 64M
start_qemu_nbd "$sock" "$img"

nbd_attach /dev/nbd0 "$port"
nbd_attach /dev/nbd1 "$sock"

dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 status=none || fail "cannot make the pattern"
want=$(sha256sum </tmp/pattern)
want=${want%% *}
for d in /dev/nbd0 /dev/nbd1; do
    expect_eq "$d size (bytes)" "$(/usr/sbin/blockdev --getsize64 "$d")" "$size"
    dd if=/tmp/pattern of="$d" bs=1M seek=8 oflag=direct conv=fsync status=none || fail "dd to $d failed"
    expect_eq "$d: pattern read back (sha256)" "$(range_sha "$d" "$off" "$len" direct)" "$want"
    expect_zero "$d before the pattern" "$d" 0 "$off" direct
done

# A new connection reads what the server holds, not what the kernel kept.
nbd_detach /dev/nbd0
nbd_attach /dev/nbd0 "$port"
expect_eq "/dev/nbd0 after reconnecting (sha256)" "$(range_sha /dev/nbd0 "$off" "$len" direct)" "$want"

nbd_detach /dev/nbd0
nbd_detach /dev/nbd1
stop_nbdkit "$NBDKIT_PID"
stop_qemu_nbd "$QEMU_NBD_PID"

# What qemu-nbd wrote is in the image.
out=$("$QEMU_IMG" check -q "$img" 2>&1) || fail "qemu-img check $img: $out"
out=$("$QEMU_IMG" convert -f qcow2 -O raw "$img" /tmp/nbd1.raw 2>&1) || fail "qemu-img convert $img: $out"
expect_eq "$img: pattern in the image (sha256)" "$(range_sha /tmp/nbd1.raw "$off" "$len")" "$want"
rm -f /tmp/nbd1.raw "$img" /tmp/pattern
