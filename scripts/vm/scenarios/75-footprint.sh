#!/bin/sh
# Memory footprint of one daemon (README "Memory footprint"): `serve --null 1G --queues 2` (256
# entries each) idle, after 3 s of fio 4k random writes at iodepth 16 on both queues and after 100
# stats requests, then the same (without the stats) for a file on tmpfs. Prints RssAnon, RssFile,
# RssShmem, VmRSS, Threads and VmSize from /proc/PID/status; fails if the --null daemon's RssAnon
# after the writes or after the stats exceeds FOOTPRINT_LIMIT_KB (default 3 MiB: measured 0.8 MiB
# and 2.0 MiB, against 19 MiB before; the issue's target is 4 MiB). FOOTPRINT_DETAIL=1 also prints
# the process figures of a stats reply, the threads' names and every resident mapping.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

LIMIT_KB=${FOOTPRINT_LIMIT_KB:-3072}
[ "$(nproc)" -ge 2 ] || fail "needs a guest with 2 or more CPUs (run.sh --smp 2): virtio_blk uses one queue per CPU"

status_kb() { # FIELD: the daemon's /proc/PID/status value (kB, or a count for Threads)
    _v=$(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status")
    [ -n "$_v" ] || fail "no $1 in /proc/$PID/status"
    echo "$_v"
}

# report WHAT: one line of figures; RSS_ANON is left set to the RssAnon figure.
report() {
    RSS_ANON=$(status_kb RssAnon)
    echo "footprint $1: RssAnon=${RSS_ANON}kB RssFile=$(status_kb RssFile)kB RssShmem=$(status_kb RssShmem)kB VmRSS=$(status_kb VmRSS)kB Threads=$(status_kb Threads) VmSize=$(status_kb VmSize)kB"
    [ -z "${FOOTPRINT_DETAIL:-}" ] || detail
}

detail() {
    echo "  $(stats_json | sed -n 's/.*"process":\({[^}]*}\).*/\1/p')"
    echo "  threads: $(cat /proc/"$PID"/task/*/comm | tr '\n' ' ')"
    awk '/^[0-9a-f]+-[0-9a-f]+ / { hdr = $0 }
         $1 == "Size:" { size = $2 } $1 == "Rss:" { rss = $2 } $1 == "Anonymous:" { anon = $2 }
         $1 == "VmFlags:" && rss > 0 { printf "  rss %6d kB  anon %6d kB  size %8d kB  %s\n", rss, anon, size, hdr }' "/proc/$PID/smaps"
}

# writes WHAT: 3 s of 4k random writes, iodepth 16, one job on a CPU of each hardware queue so both
# virtqueues carry them (the kernel maps CPUs to queues in blocks: CPUs 0 and 1 may share one).
writes() {
    _cpus=$(for _d in "$(sysblk)"/mq/*/; do sed 's/[,-].*//' "$_d/cpu_list"; done | tr '\n' ',' | sed 's/,$//')
    case "$_cpus" in *,*) ;; *) fail "want 2 hardware queues on $DEV, CPUs per queue: '$_cpus'" ;; esac
    _out=/tmp/fio-vt75-$1.txt
    _rc=0
    /usr/bin/fio --name="footprint-$1" --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite \
        --bs=4k --iodepth=16 --numjobs=2 --cpus_allowed="$_cpus" --cpus_allowed_policy=split \
        --runtime=3 --time_based --randrepeat=0 --group_reporting >"$_out" 2>&1 || _rc=$?
    grep -E 'IOPS=' "$_out" || true
    expect_fio_clean "fio 4k randwrite on $1 (CPUs $_cpus)" "$_out" "$_rc"
}

# measure WHAT ARGS...: serve ARGS with 2 queues, report idle and after the writes, stop.
measure() {
    _what=$1
    shift
    start_daemon vt75"$_what" "$@" --queues 2
    sleep 1
    report "$_what idle"
    writes "$_what"
    sleep 1
    report "$_what after fio"
    AFTER_KB=$RSS_ANON
    if [ "$_what" = null ]; then
        # The control plane allocates per request (a stats reply is JSON); those bytes must be
        # collected, not accumulate, if something polls the daemon.
        _i=0
        while [ "$_i" -lt 100 ]; do
            "$VDUSE_BLK" stats "$NAME" --json >/dev/null || fail "stats $_i failed"
            _i=$((_i + 1))
        done
        report "$_what after 100 stats"
        STATS_KB=$RSS_ANON
    fi
    # Both queues must have carried the writes, or the figure would miss one queue's slots.
    _s=$(stats_json)
    _n=$(echo "$_s" | sed -n 's/.*"queues":\[\(.*\)\],"total".*/\1/p' | tr '}' '\n' | grep -c '"writes":[1-9]' || true)
    [ "$_n" -eq 2 ] || fail "$_n queues carried writes (want 2): $_s"
    stop_daemon
}

log "binary: $VDUSE_BLK ($(stat -c %s "$VDUSE_BLK") bytes)"
measure null --null 1G
null_kb=$AFTER_KB
stats_kb=$STATS_KB

rm -rf /tmp/vt75
mkdir -p /tmp/vt75
measure tmpfs --file /tmp/vt75/disk.img --size 1G
rm -rf /tmp/vt75

[ "$null_kb" -le "$LIMIT_KB" ] || fail "--null daemon RssAnon ${null_kb} kB after fio exceeds ${LIMIT_KB} kB"
log "ok: --null RssAnon ${null_kb} kB after fio <= ${LIMIT_KB} kB"
[ "$stats_kb" -le "$LIMIT_KB" ] || fail "--null daemon RssAnon ${stats_kb} kB after 100 stats requests exceeds ${LIMIT_KB} kB"
log "ok: --null RssAnon ${stats_kb} kB after 100 stats requests <= ${LIMIT_KB} kB"
