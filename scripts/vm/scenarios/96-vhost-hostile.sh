#!/bin/sh
# A hostile driver on the other side of vhost-vdpa: `serve --vhost --queues 2` and, twice, vhost-hostile
# (tests/VduseAot.HostileDriver, a userspace virtio-blk driver of /dev/vhost-vdpa-N) first does
# valid I/O on both queues, then feeds queue 0 descriptor loops, indexes and heads past the table,
# wrapping lengths, unmapped IOVAs, the data region unmapped under I/O, nested and looping indirect
# tables, an avail index jump, status bytes the device may only read, a reset under I/O and features
# never offered. It prints one `case NAME: answer` line per case and fails on a wrong answer; queue 1
# must serve after each case and both queues after a reset. The daemon must live through it all
# with its memory bounded (VmRSS and RssAnon before and after), count the malformed requests, and
# stop cleanly. Nothing is optional: a missing vhost_vdpa, device or tool fails the scenario.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

HOSTILE=/usr/bin/vhost-hostile
[ -x "$HOSTILE" ] || fail "$HOSTILE missing from the initramfs (scripts/build.sh publishes artifacts/vhost-hostile beside vduse-blk)"
# Growth allowed, KiB. Over both runs: the RAM disk's pages the cases write (some 2 MiB, in RssShmem
# and so in VmRSS), the garbage of some 30 resets below the 1 MiB gen0 budget, and slack. Over the
# second run, anonymous memory must stay where the first left it (within one gen0 budget): hostile
# input must not make it grow.
VMRSS_GROWTH_KB=8192
ANON_GROWTH_KB=4096
ANON_SECOND_RUN_KB=2048

load_vhost_vdpa
start_daemon vt96 --ram 64M --queues 2 --vhost --serial hostile-vt96
case "$DEV" in /dev/vhost-vdpa-*) ;; *) fail "serve --vhost announced $DEV, not /dev/vhost-vdpa-N" ;; esac

# status_kb FIELD: a figure of the daemon's /proc/PID/status, in KiB.
status_kb() {
    _v=$(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status")
    [ -n "$_v" ] || fail "no $1 in /proc/$PID/status (is the daemon gone?)"
    echo "$_v"
}
rss_before=$(status_kb VmRSS)
anon_before=$(status_kb RssAnon)

# hostile ROUND: one run of the tool; its case lines on stdout, the scenario failed on a wrong answer.
hostile() {
    _rc=0
    "$HOSTILE" "$DEV" --queues 2 >/tmp/vt96.out 2>/tmp/vt96.err || _rc=$?
    sed "s/^/round $1: /" /tmp/vt96.out
    [ "$_rc" -eq 0 ] || fail "vhost-hostile exited $_rc in round $1: $(grep -h -e FAILED -e '^vhost-hostile' /tmp/vt96.out /tmp/vt96.err | tr '\n' ' ')$(daemon_stderr)"
    for _c in valid-io descriptor-loop descriptor-index-out-of-range head-out-of-range length-wraps iova-unmapped \
        unmap-in-flight indirect-nested-and-looped avail-index-jump status-in-readable-descriptor \
        status-in-read-only-mapping reset-in-flight unoffered-features; do
        grep -q "^case $_c: " /tmp/vt96.out || fail "vhost-hostile printed no line for case $_c in round $1"
    done
    grep -q '^case valid-io: .*GET_ID "hostile-vt96"' /tmp/vt96.out || fail "GET_ID did not answer the --serial text hostile-vt96"
    proc_alive "$PID" || fail "the daemon died under the hostile driver in round $1; $(daemon_stderr)"
}
hostile 1
anon_mid=$(status_kb RssAnon)
hostile 2
rss_after=$(status_kb VmRSS)
anon_after=$(status_kb RssAnon)
log "daemon memory: VmRSS ${rss_before} -> ${rss_after} kB, RssAnon ${anon_before} -> ${anon_mid} (after round 1) -> ${anon_after} kB"
[ $((rss_after - rss_before)) -le "$VMRSS_GROWTH_KB" ] || fail "VmRSS grew by $((rss_after - rss_before)) kB (more than $VMRSS_GROWTH_KB)"
[ $((anon_after - anon_before)) -le "$ANON_GROWTH_KB" ] || fail "RssAnon grew by $((anon_after - anon_before)) kB (more than $ANON_GROWTH_KB)"
[ $((anon_after - anon_mid)) -le "$ANON_SECOND_RUN_KB" ] || fail "RssAnon grew by $((anon_after - anon_mid)) kB in round 2 (more than $ANON_SECOND_RUN_KB)"

s=$(stats_json)
malformed=$(json_total "$s" malformed)
[ "$malformed" -gt 0 ] || fail "stats count no malformed requests after the hostile cases: $s"
log "ok: the daemon counted $malformed malformed requests"
grep -q "refused the driver's features" "$DAEMON_ERR" || fail "the daemon logged no refusal of the unoffered features; $(daemon_stderr)"
grep -q 'stopped serving' "$DAEMON_ERR" || fail "the daemon logged no stopped queue for the avail index jump; $(daemon_stderr)"
stop_daemon
[ ! -e /sys/bus/vdpa/devices/vt96 ] || fail "the vDPA device is left after SIGTERM"
