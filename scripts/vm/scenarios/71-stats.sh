#!/bin/sh
# Stats through the control socket match what fio did: 2048 direct 4 KiB writes one at a time (no
# merging) are exactly 2048 writes and 8 MiB more, the same reads at least that; latency counts every
# request; nothing in flight at rest; the text form and the process figures are there.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

MiB=1048576
start_daemon vt71stats --ram 64M --queues "$(nproc)"

# The kernel read the partition table when the disk appeared: deltas from a baseline.
s0=$(stats_json)
w0=$(json_total "$s0" writes)
bw0=$(json_total "$s0" bytes_written)
r0=$(json_total "$s0" reads)
br0=$(json_total "$s0" bytes_read)
dw0=$(devstat 5)
log "baseline: $w0 writes, $bw0 bytes written, $r0 reads, $br0 bytes read"

fio_psync() { # RW: 8 MiB of 4 KiB direct I/O, one request at a time
    /usr/bin/fio --name="stats-$1" --filename="$DEV" --ioengine=psync --direct=1 --rw="$1" --bs=4k \
        --size=8M --randrepeat=0 >"/tmp/fio-vt71-$1.txt" 2>&1 || { cat "/tmp/fio-vt71-$1.txt"; fail "fio $1 failed"; }
    grep -E 'IOPS=|^ *(READ|WRITE):' "/tmp/fio-vt71-$1.txt" || true
}

fio_psync randwrite
s1=$(stats_json)
expect_eq "writes added" $(($(json_total "$s1" writes) - w0)) 2048
expect_eq "bytes written added" $(($(json_total "$s1" bytes_written) - bw0)) $((8 * MiB))
expect_eq "writes added (kernel's count)" $(($(devstat 5) - dw0)) 2048

fio_psync randread
s2=$(stats_json)
reads=$(($(json_total "$s2" reads) - r0))
bytes_read=$(($(json_total "$s2" bytes_read) - br0))
log "reads added: $reads, bytes read added: $bytes_read"
[ "$reads" -ge 2048 ] || fail "only $reads reads counted for fio's 2048"
[ "$bytes_read" -ge $((8 * MiB)) ] || fail "only $bytes_read bytes read counted for fio's 8 MiB"
expect_eq "writes unchanged by reading" "$(json_total "$s2" writes)" "$(json_total "$s1" writes)"

requests=$(json_total "$s2" requests)
expect_eq "latency samples = requests" "$(json_total "$s2" count)" "$requests"
expect_eq "in flight at rest" "$(json_total "$s2" in_flight)" 0
expect_eq "io errors" "$(json_total "$s2" io_errors)" 0
expect_eq "malformed" "$(json_total "$s2" malformed)" 0
p50=$(json_total "$s2" p50)
p99=$(json_total "$s2" p99)
max=$(json_total "$s2" max)
log "latency: p50 ${p50} us, p99 ${p99} us, max ${max} us over $requests requests"
awk -v a="$p50" -v b="$p99" -v c="$max" 'BEGIN { exit !(a > 0 && a <= b && b <= c) }' ||
    fail "latency percentiles out of order: p50 $p50, p99 $p99, max $max"

queues=$(echo "$s2" | grep -o '"queues":\[' | wc -l)
[ "$queues" -eq 1 ] || fail "stats reply has no queues array"
echo "$s2" | grep -q '"process":{"gc_collections":\[[0-9]*,[0-9]*,[0-9]*\],"allocated_bytes":[0-9]*,"rss_bytes":[1-9][0-9]*' ||
    fail "stats reply lacks the process figures: $s2"

"$VDUSE_BLK" stats "$NAME" >/tmp/vt71-stats.txt || fail "vduse-blk stats (text) failed"
cat /tmp/vt71-stats.txt
grep -q "^total " /tmp/vt71-stats.txt || fail "text stats have no total row"
grep -q "^process: GC collections" /tmp/vt71-stats.txt || fail "text stats have no process line"
stop_daemon
