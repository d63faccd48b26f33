#!/bin/sh
# RAM backend geometry and attributes as the guest kernel sees them:
# size (with K/M/G suffixes), logical block size, read-only, serial.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

# --ram 64M: 64 MiB = 131072 512-byte sectors (sysfs size is always in 512 B).
start_daemon vt10size --ram 64M
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 131072
expect_eq "getsize64" "$(/usr/sbin/blockdev --getsize64 "$DEV")" 67108864
expect_eq "ro" "$(sysval "$(sysblk)/ro")" 0
stop_daemon

# K and G suffixes.
start_daemon vt10kib --ram 8192K
expect_eq "size 8192K (sectors)" "$(sysval "$(sysblk)/size")" 16384
stop_daemon
start_daemon vt10gib --ram 1G
expect_eq "size 1G (sectors)" "$(sysval "$(sysblk)/size")" 2097152
stop_daemon

# --logical-block-size 4096: the queue advertises 4096; size unchanged.
start_daemon vt10lbs --ram 64M --logical-block-size 4096
expect_eq "logical_block_size" "$(sysval "$(sysblk)/queue/logical_block_size")" 4096
expect_eq "size with 4k blocks (sectors)" "$(sysval "$(sysblk)/size")" 131072
expect_eq "blockdev --getss" "$(/usr/sbin/blockdev --getss "$DEV")" 4096
stop_daemon

# --read-only: ro=1 and a write is refused.
start_daemon vt10ro --ram 64M --read-only
expect_eq "ro" "$(sysval "$(sysblk)/ro")" 1
if dd if=/dev/zero of="$DEV" bs=4096 count=1 oflag=direct 2>/dev/null; then
    fail "write to read-only $DEV succeeded"
fi
log "ok: write to read-only $DEV refused"
dd if="$DEV" of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null ||
    fail "read from read-only $DEV failed"
stop_daemon

# --serial: virtio-blk GET_ID, shown in sysfs.
serial=VMTEST-SERIAL-10
start_daemon vt10ser --ram 64M --serial "$serial"
expect_eq "serial" "$(sysval "$(sysblk)/serial")" "$serial"
stop_daemon
