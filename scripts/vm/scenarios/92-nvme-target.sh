#!/bin/sh
# The NVMe/TCP test infrastructure works: the kernel's target (nvmet; subsystem with a 64 MiB brd
# namespace, TCP port 127.0.0.1:4420) served to the kernel's own NVMe/TCP host through
# /dev/nvme-fabrics. A pattern written with dd reads back the same and is on the RAM disk itself;
# with the subsystem unlinked from its port I/O stalls (reads and writes) and completes once it is
# linked back and the host has reconnected by itself; then disconnect, teardown, and configfs is
# empty and every module unloads. Nothing is optional: a missing module fails the scenario.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

NQN=nqn.2024-01.io.vduse-aot:vt92 port=4420 size=67108864 ram=/dev/ram0
MiB=1048576
off=$((8 * MiB)) off2=$((16 * MiB)) len=$((4 * MiB)) # the pattern at 8 MiB, the second at 16 MiB

_vt92_state() { [ "$(nvme_ctrl_state "$ctrl")" = "$1" ]; }
_vt92_one_done() { proc_gone "$reader" || proc_gone "$writer"; }
# _vt92_reap PID WHAT: the held dd completes within 15 s of the port's return, with status 0.
_vt92_reap() {
    poll_until 15 proc_gone "$1" || fail "$2: still waiting 15 s after the port came back ($ctrl $(nvme_ctrl_state "$ctrl"))"
    _rc=0
    wait "$1" || _rc=$?
    [ "$_rc" -eq 0 ] || fail "$2 exited rc=$_rc"
    log "ok: $2 completed"
}

load_brd 1 65536
load_nvmet
load_nvme_host
start_nvmet_target "$NQN" "$port" "$ram"
# When the connection goes, the host retries every second for up to 30 s (the defaults are 10 s
# and 600 s), and holds I/O meanwhile.
nvme_host_connect "$NQN" "$port" "" reconnect_delay=1 ctrl_loss_tmo=30
dev=$NVME_DEV ctrl=$NVME_CTRL
expect_eq "$dev size (bytes)" "$(/usr/sbin/blockdev --getsize64 "$dev")" "$size"

# --- data through the host lands on the namespace's device ----------------------------------------
dd if=/dev/urandom of=/tmp/vt92-pat bs=1M count=4 status=none || fail "cannot make the pattern"
dd if=/dev/urandom of=/tmp/vt92-pat2 bs=1M count=4 status=none || fail "cannot make the second pattern"
want=$(range_sha /tmp/vt92-pat 0 "$len")
want2=$(range_sha /tmp/vt92-pat2 0 "$len")
dd if=/tmp/vt92-pat of="$dev" bs=1M seek=8 oflag=direct conv=fsync status=none || fail "dd to $dev failed"
expect_eq "$dev: pattern read back (sha256)" "$(range_sha "$dev" "$off" "$len" direct)" "$want"
expect_zero "$dev before the pattern" "$dev" 0 "$off" direct
expect_eq "$ram: the pattern, written through $dev (sha256)" "$(range_sha "$ram" "$off" "$len" direct)" "$want"

# --- the port goes away under I/O and comes back ----------------------------------------------------
nvmet_unlink_port "$NQN" "$port"
wait_until 5 "$ctrl to be reconnecting after its port went" _vt92_state connecting
log "$ctrl: $(nvme_ctrl_state "$ctrl") with the port gone"
dd if="$dev" of=/tmp/vt92-back bs=1M skip=8 count=4 iflag=direct status=none &
reader=$!
dd if=/tmp/vt92-pat2 of="$dev" bs=1M seek=16 oflag=direct conv=fsync status=none &
writer=$!
# Three seconds: at least two reconnect attempts refused while the I/O waits.
if poll_until 3 _vt92_one_done; then
    fail "I/O finished with the port gone ($ctrl $(nvme_ctrl_state "$ctrl"))"
fi
expect_eq "$ctrl state with the port gone, I/O waiting" "$(nvme_ctrl_state "$ctrl")" connecting
nvmet_link_port "$NQN" "$port"
_vt92_reap "$reader" "the read held while the port was gone"
_vt92_reap "$writer" "the write held while the port was gone"
expect_eq "$ctrl state after the port came back" "$(nvme_ctrl_state "$ctrl")" live
dmesg | grep "$ctrl: Successfully reconnected" >/dev/null || fail "no 'Successfully reconnected' from $ctrl in the kernel log"
expect_eq "the held read after the reconnect (sha256)" "$(range_sha /tmp/vt92-back 0 "$len")" "$want"
expect_eq "the held write, read back after the reconnect (sha256)" "$(range_sha "$dev" "$off2" "$len" direct)" "$want2"
expect_eq "$ram: the held write (sha256)" "$(range_sha "$ram" "$off2" "$len" direct)" "$want2"

# --- teardown: nothing left --------------------------------------------------------------------------
nvme_host_disconnect
stop_nvmet_target "$NQN" "$port"
expect_eq "nvmet configfs entries left" "$(nvmet_configfs_left)" ""
! tcp_listening "$port" || fail "127.0.0.1:$port still listening after the teardown"
unload_nvme
unload_brd
rm -f /tmp/vt92-pat /tmp/vt92-pat2 /tmp/vt92-back
