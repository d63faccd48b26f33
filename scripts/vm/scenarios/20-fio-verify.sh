#!/bin/sh
# Data integrity under concurrency: fio random writes with crc32c verify at
# 4k and 64k, iodepth 16, O_DIRECT, libaio.  Prints fio's summary (IOPS,
# bandwidth, latency) for quoting; TCG numbers are for regressions only.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

queues=$(nproc) # virtio_blk uses min(device queues, vCPUs)
start_daemon vt20fio --ram 128M --queues "$queues"
hwq=0
for q in "$(sysblk)"/mq/*; do [ -d "$q" ] && hwq=$((hwq + 1)); done
log "hardware queues: $hwq (device queues $queues)"

run_fio_verify 4k
run_fio_verify 64k
stop_daemon
