#!/bin/sh
# The NVMe/TCP backend against the kernel's target in the guest: nvmet with a 64 MiB brd namespace
# on 127.0.0.1:4420. Start-up errors (a missing --nqn exits 2; nothing listening, an unknown
# subsystem and a namespace that does not exist exit 1 with one line saying why); then 2 queues (one
# I/O queue each): fio crc32c verify at 4k and 64k, discard and write-zeroes read back as zeroes
# with the neighbouring data intact, stats showing both connections, and what the guest wrote is on
# the RAM disk; then header and data digests, fio verify again, mkfs.ext4 + e2fsck; then a subsystem
# that allows one host NQN: another is refused with the controller's status, that one is served.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
NQN=nqn.2026-12.io.vduse-aot:vt93 port=4420 ram=/dev/ram0 dir=/tmp/vt93
rm -rf "$dir"
mkdir -p "$dir"
load_brd 1 65536
load_nvmet

# --- start-up errors ------------------------------------------------------------------------------
loopback_up
serve_fails 2 vt93bad --nvme-tcp 127.0.0.1
expect_msg "--nvme-tcp needs --nqn"
serve_fails 1 vt93bad --nvme-tcp "127.0.0.1:$port" --nqn "$NQN"
expect_msg "cannot connect to 127.0.0.1:$port: ECONNREFUSED"
start_nvmet_target "$NQN" "$port" "$ram"
serve_fails 1 vt93bad --nvme-tcp "127.0.0.1:$port" --nqn nqn.2026-12.io.vduse-aot:nosuch
expect_msg "rejected Connect (admin queue) to nqn.2026-12.io.vduse-aot:nosuch"
serve_fails 1 vt93bad --nvme-tcp "127.0.0.1:$port" --nqn "$NQN" --nsid 7
expect_msg "has no active namespace 7"

# --- 2 queues, no digests -------------------------------------------------------------------------
start_daemon vt93 --nvme-tcp "127.0.0.1:$port" --nqn "$NQN" --queues 2
expect_eq "size (sectors)" "$(sysval "$(sysblk)/size")" 131072
s=$(stats_json)
for c in 0 1; do
    case "$s" in
        *"\"name\":\"queue $c\",\"peer\":\"127.0.0.1:$port\",\"state\":\"connected\""*) ;;
        *) fail "stats shows no connected queue $c: $s" ;;
    esac
done
run_fio_verify 4k
run_fio_verify 64k

expect_discard_and_zeroes "$dir/pat" # nvmet offers Dataset Management and Write Zeroes
s=$(stats_json)
expect_eq "I/O errors" "$(json_total "$s" io_errors)" 0
stop_daemon
expect_eq "$ram holds 3M..4M" "$(range_sha "$ram" $((3 * MiB)) $MiB direct)" "$(range_sha "$dir/pat" $((3 * MiB)) $MiB)"
expect_zero "$ram: the discarded 1M..2M" "$ram" $MiB $MiB direct

# --- header and data digests ----------------------------------------------------------------------
start_daemon vt93digest --nvme-tcp "127.0.0.1:$port" --nqn "$NQN" --queues 2 --nvme-digest header,data
grep -q "digests header,data" "$DAEMON_ERR" || fail "the daemon does not say it uses both digests; $(daemon_stderr)"
run_fio_verify 64k
/usr/sbin/mkfs.ext4 -q -F "$DEV" || fail "mkfs.ext4 on $DEV failed"
out=$(/usr/sbin/e2fsck -fn "$DEV" 2>&1) || fail "e2fsck after mkfs: $out"
log "ok: mkfs.ext4 + e2fsck -fn on $DEV with digests"
stop_daemon

# --- only allowed hosts ---------------------------------------------------------------------------
nvmet_allow_host "$NQN" nqn.2026-12.io.vduse-aot:host1
serve_fails 1 vt93bad --nvme-tcp "127.0.0.1:$port" --nqn "$NQN" --hostnqn nqn.2026-12.io.vduse-aot:host2
expect_msg "rejected Connect (admin queue) to $NQN as nqn.2026-12.io.vduse-aot:host2: SCT 1 SC 0x84 (Connect invalid host)"
start_daemon vt93host --nvme-tcp "127.0.0.1:$port" --nqn "$NQN" --hostnqn nqn.2026-12.io.vduse-aot:host1
run_fio_verify 4k --size=8M
stop_daemon

stop_nvmet_target "$NQN" "$port"
expect_eq "nvmet configfs entries left" "$(nvmet_configfs_left)" ""
unload_nvme
unload_brd
rm -rf "$dir"
