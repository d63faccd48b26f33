#!/bin/sh
# Multiqueue on pinned threads with adaptive polling: 4 queues show as 4 hardware queues, each queue
# thread runs on its own CPU, fio verify with 4 jobs passes, and an idle daemon uses no CPU.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

[ "$(nproc)" -ge 4 ] || fail "this scenario needs a VM with at least 4 vCPUs (run.sh --smp 4)"
start_daemon vt60mq --ram 256M --queues 4 --cpus 0-3 --poll-us 200
hwq=0
for q in "$(sysblk)"/mq/*; do [ -d "$q" ] && hwq=$((hwq + 1)); done
expect_eq "hardware queues" "$hwq" 4

# Queue threads are named vq0..vq3; each must be pinned to its own CPU.
for t in /proc/"$PID"/task/*; do
    comm=$(cat "$t/comm")
    case "$comm" in
        vq[0-3]) expect_eq "$comm CPUs" "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")" "${comm#vq}" ;;
    esac
done
for q in 0 1 2 3; do
    grep -qx "vq$q" /proc/"$PID"/task/*/comm || fail "no queue thread named vq$q"
done
for q in 0 1 2 3; do
    f=/sys/class/vduse/vt60mq/vq$q/irq_cb_affinity
    if [ -r "$f" ]; then log "vq$q irq_cb_affinity: $(cat "$f")"; fi
done

out=/tmp/fio-mq.txt
rc=0
/usr/bin/fio --name=mq --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
    --iodepth=16 --numjobs=4 --offset_increment=32M --size=32M --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --randrepeat=0 --verify_state_save=0 --group_reporting >"$out" 2>&1 || rc=$?
grep -E 'err=|IOPS=|^ *(READ|WRITE):' "$out" || true
[ "$rc" -eq 0 ] || { cat "$out"; fail "fio numjobs=4 exited rc=$rc"; }
grep -q 'err= *0' "$out" || { cat "$out"; fail "fio numjobs=4 reported errors"; }
log "ok: fio verify numjobs=4 on 4 queues"

# Idle: once the poll window has passed, the daemon sleeps in io_uring_enter and burns nothing.
sleep 1
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
before=$(cpu_ticks)
sleep 3
after=$(cpu_ticks)
idle=$((after - before))
log "CPU ticks while idle for 3 s: $idle"
[ "$idle" -le 2 ] || fail "idle daemon used $idle clock ticks in 3 s (expected none)"
stop_daemon
