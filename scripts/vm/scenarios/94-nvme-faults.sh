#!/bin/sh
# The NVMe/TCP backend when things go wrong, against the kernel's nvmet (brd namespace on
# 127.0.0.1:4420), 2 queues with --reconnect-timeout 30:
#  (a) the subsystem is unlinked from its port (nvmet deletes the controller: every connection
#      closes and nothing listens) for 1-2 s during a 20 s fio crc32c verify, then linked back, twice:
#      the daemon brings up a new association each time, I/O flows again, fio ends clean and no
#      request failed; prints "nvme-faults: port removals=2 reconnects=N worst-latency=X ms";
#  (b) vduse-blk SIGKILLed and taken over 10 times (up to 10 more until one catches requests in
#      flight) under fio verify, keeping its host NQN (from the state file);
#  (c) after a SIGKILL, a takeover naming another subsystem is refused with one line and leaves the
#      device; the original one takes it over, and what the device shows is on the RAM disk.
# shellcheck disable=SC3040 # busybox ash has pipefail
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
NQN=nqn.2026-12.io.vduse-aot:vt94 port=4420 ram=/dev/ram0 dir=/tmp/vt94
ARGS="--nvme-tcp 127.0.0.1:$port --nqn $NQN --queues 2 --reconnect-timeout 30"
rm -rf "$dir" /tmp/daemon-vt94.all
mkdir -p "$dir"
load_brd 1 65536
load_nvmet
start_nvmet_target "$NQN" "$port" "$ram"


# shellcheck disable=SC2086
start_daemon vt94 $ARGS
# state_hostnqn: the UUID-based host NQN the state file's backend identity records. awk reads to
# the end: leaving early would kill tr with SIGPIPE, which pipefail turns into a failure.
state_hostnqn() {
    tr '\000' '\n' <"$STATE_DIR/vt94.state" |
        awk '!found && match($0, /nqn\.2014-08\.org\.nvmexpress:uuid:[0-9a-f-]+/) { print substr($0, RSTART, RLENGTH); found = 1 }'
}
hostnqn=$(state_hostnqn)
[ -n "$hostnqn" ] || fail "the state file records no UUID-based host NQN"
log "host NQN (state file): $hostnqn"

# --- (a) the port goes away twice during fio verify -----------------------------------------------
port_down() { nvmet_unlink_port "$NQN" "$port"; }
port_up() { nvmet_link_port "$NQN" "$port"; }
FIO_OUT=$dir/fio-port.txt removals=2
fio_across_outages "$FIO_OUT" "$removals" "port removal" port_down port_up
lost=$(count_matches "queue [01]: connection to 127.0.0.1:$port lost" "$DAEMON_ERR")
reconnects=$(count_matches "queue [01] reconnected to 127.0.0.1:$port" "$DAEMON_ERR")
[ "$lost" -ge $((removals * 2)) ] || fail "$lost lost connection(s) logged for $removals removals of 2 queues; $(daemon_stderr)"
[ "$reconnects" -ge $((removals * 2)) ] || fail "$reconnects reconnection(s) logged for $removals removals of 2 queues; $(daemon_stderr)"
s=$(stats_json)
expect_eq "I/O errors across the port removals" "$(json_total "$s" io_errors)" 0
expect_eq "requests in flight after fio" "$(json_total "$s" in_flight)" 0
worst=$(fio_clat_max_ms "$FIO_OUT")
echo "nvme-faults: port removals=$removals reconnects=$reconnects (connections lost=$lost) worst-latency=$worst ms (fio clat max)"

# --- (b) vduse-blk SIGKILLed and taken over under fio verify --------------------------------------
# shellcheck disable=SC2086
sigkill_takeovers "$dir" 10 2 $ARGS
expect_eq "the host NQN after the takeovers" "$(state_hostnqn)" "$hostnqn"
echo "nvme-faults: kills=$KILLED takeovers=$TAKEN resubmitted=$CAUGHT"

# --- (c) a takeover naming another subsystem is refused -------------------------------------------
crash_daemon
expect_serve_refused "another configuration" --nvme-tcp "127.0.0.1:$port" --nqn "$NQN-other" --queues 2
[ "$(wc -l </tmp/refused.err)" -eq 1 ] || fail "the refusal is not one line: $(cat /tmp/refused.err)"
expect_device_left
# shellcheck disable=SC2086
restart_daemon $ARGS
expect_eq "queue takeovers with the original subsystem" "$(count_matches "taken over: " "$DAEMON_ERR")" 2
run_fio_verify 4k --size=8M --offset=48M
dev_sha=$(range_sha "$DEV" 0 $((64 * MiB)) direct)
stop_daemon
[ ! -e "$STATE_DIR/vt94.state" ] || fail "state file left after SIGTERM"
expect_eq "the RAM disk holds what the device showed (sha256)" "$(range_sha "$ram" 0 $((64 * MiB)) direct)" "$dev_sha"

stop_nvmet_target "$NQN" "$port"
expect_eq "nvmet configfs entries left" "$(nvmet_configfs_left)" ""
unload_nvme
unload_brd
rm -rf "$dir"
