#!/bin/sh
# The Prometheus endpoint (serve --metrics-listen): curl gets /metrics; N direct 4 KiB writes move
# the write counter by exactly N and the bytes written by N*4096; `stats --prometheus` shows the
# same families; a client that connects and sends nothing delays curl by at most the server's 2 s
# timeout; other paths are 404; the port closes with the daemon and a takeover binds it again. The
# scraped text is printed between markers for scripts/test.sh to parse on the host.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

CURL=/usr/bin/curl
PORT=9109
URL=http://127.0.0.1:$PORT/metrics
N=100
loopback_up
start_daemon vt74metrics --ram 64M --queues "$(nproc)" --metrics-listen 127.0.0.1:$PORT

# scrape FILE [URL]: GET into FILE; prints the HTTP status.
scrape() {
    $CURL -sS --max-time 10 -o "$1" -w '%{http_code}' "${2:-$URL}" || fail "curl ${2:-$URL} failed"
}

# metric_sum FILE NAME [LABELS]: the sum over queues of the NAME samples whose labels contain LABELS.
metric_sum() {
    awk -v n="$2" -v m="${3:-}" '
        index($0, n "{") == 1 && (m == "" || index($0, m) > 0) { s += $NF; found = 1 }
        END { if (!found) exit 1; printf "%.0f\n", s }' "$1" || fail "no $2 samples with '${3:-}' in $1"
}

expect_eq "GET /metrics" "$(scrape /tmp/vt74-before.prom)" 200
w0=$(metric_sum /tmp/vt74-before.prom vduse_blk_requests_total 'type="write"')
b0=$(metric_sum /tmp/vt74-before.prom vduse_blk_written_bytes_total)
c0=$(metric_sum /tmp/vt74-before.prom vduse_blk_request_duration_seconds_count)
dw0=$(devstat 5)
log "baseline: $w0 writes, $b0 bytes written, $c0 requests timed"

# One request each: O_DIRECT and synchronous, so the block layer cannot merge them.
dd if=/dev/urandom of="$DEV" bs=4096 count=$N oflag=direct 2>/tmp/vt74-dd.err || fail "dd: $(cat /tmp/vt74-dd.err)"
expect_eq "GET /metrics after the writes" "$(scrape /tmp/vt74-after.prom)" 200
expect_eq "writes added" $(($(metric_sum /tmp/vt74-after.prom vduse_blk_requests_total 'type="write"') - w0)) $N
expect_eq "bytes written added" $(($(metric_sum /tmp/vt74-after.prom vduse_blk_written_bytes_total) - b0)) $((N * 4096))
expect_eq "writes added (kernel's count)" $(($(devstat 5) - dw0)) $N
c1=$(metric_sum /tmp/vt74-after.prom vduse_blk_request_duration_seconds_count)
[ $((c1 - c0)) -ge $N ] || fail "only $((c1 - c0)) requests timed for $N writes"
expect_eq "+Inf buckets = _count" "$(metric_sum /tmp/vt74-after.prom vduse_blk_request_duration_seconds_bucket 'le="+Inf"')" "$c1"
expect_eq "in flight at rest" "$(metric_sum /tmp/vt74-after.prom vduse_blk_in_flight_requests)" 0
grep -q "^vduse_blk_process_rss_anon_bytes{device=\"$NAME\"} [1-9]" /tmp/vt74-after.prom || fail "no RssAnon figure"
grep -q "^vduse_blk_requests_total{device=\"$NAME\",queue=\"0\",type=\"write\"} " /tmp/vt74-after.prom || fail "no per-queue labels"
echo "--- prometheus exposition begin"
cat /tmp/vt74-after.prom
echo "--- prometheus exposition end"

"$VDUSE_BLK" stats "$NAME" --prometheus >/tmp/vt74-cli.prom || fail "vduse-blk stats --prometheus failed"
grep '^# TYPE' /tmp/vt74-after.prom >/tmp/vt74-families.http
grep '^# TYPE' /tmp/vt74-cli.prom >/tmp/vt74-families.cli
cmp -s /tmp/vt74-families.http /tmp/vt74-families.cli || fail "stats --prometheus families differ: $(diff /tmp/vt74-families.http /tmp/vt74-families.cli)"
log "ok: stats --prometheus has the same $(wc -l </tmp/vt74-families.cli) families"

expect_eq "GET /foo" "$(scrape /tmp/vt74-foo.txt "http://127.0.0.1:$PORT/foo")" 404

# A client that connects and never sends: the next scrape waits for its 2 s at most.
sleep 8 | nc 127.0.0.1 $PORT >/dev/null 2>&1 &
silent=$!
usleep 500000
t0=$(cut -d' ' -f1 /proc/uptime)
expect_eq "GET /metrics beside a silent client" "$(scrape /tmp/vt74-silent.prom)" 200
t1=$(cut -d' ' -f1 /proc/uptime)
kill "$silent" 2>/dev/null || true
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
log "served in ${secs}s beside the silent client"
awk -v s="$secs" 'BEGIN { exit !(s < 5) }' || fail "a silent client held the endpoint ${secs}s"

# An upgrade gets the port back at once (the old connections are in TIME_WAIT).
upgrade_exit_daemon
if $CURL -s --max-time 5 -o /dev/null "$URL"; then fail "the endpoint still answers after the daemon exited"; fi
restart_daemon --ram 64M --queues "$(nproc)" --metrics-listen 127.0.0.1:$PORT
expect_eq "GET /metrics after the takeover" "$(scrape /tmp/vt74-again.prom)" 200
stop_daemon
