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

run_fio() { # bs
    out=/tmp/fio-$1.txt
    log "fio randwrite verify=crc32c bs=$1 iodepth=16 size=32M on $DEV"
    rc=0
    /usr/bin/fio --name="verify-$1" --filename="$DEV" \
        --ioengine=libaio --direct=1 --rw=randwrite --bs="$1" --iodepth=16 \
        --size=32M --verify=crc32c --do_verify=1 --verify_fatal=1 \
        --randrepeat=0 --verify_state_save=0 --group_reporting >"$out" 2>&1 || rc=$?
    # Summary lines: job header (err=), IOPS/BW, latency, percentiles skipped.
    grep -E 'err=|IOPS=|  (s|c)?lat \(|  bw \(|  iops *:|^ *(READ|WRITE):|^Disk stats|util=' "$out" || true
    [ "$rc" -eq 0 ] || { cat "$out"; fail "fio bs=$1 exited rc=$rc"; }
    if grep -E 'err= *[1-9]|verify: bad|bad magic|crc32c: verify failed' "$out" >/dev/null; then
        cat "$out"
        fail "fio bs=$1 reported errors"
    fi
    grep -q 'err= *0' "$out" || { cat "$out"; fail "fio bs=$1: no 'err= 0' summary"; }
    log "ok: fio bs=$1 verified"
}

run_fio 4k
run_fio 64k
stop_daemon
