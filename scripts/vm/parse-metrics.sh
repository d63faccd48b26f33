#!/usr/bin/env bash
# Runs the Prometheus exposition that the 74-metrics scenario printed on the VM console (between its
# "--- prometheus exposition begin/end" lines) through Debian's python3-prometheus-client parser,
# and checks the families and histograms a scraper relies on. Exits 1 when the text is missing or
# does not parse.
# Usage: parse-metrics.sh CONSOLE-LOG
set -euo pipefail
log=${1:?usage: parse-metrics.sh CONSOLE-LOG}
text=$(mktemp)
trap 'rm -f "$text"' EXIT
tr -d '\r' <"$log" | sed -n '/^--- prometheus exposition begin$/,/^--- prometheus exposition end$/{//!p}' >"$text"
if [[ ! -s $text ]]; then
    echo "parse-metrics: no exposition in $log (did 74-metrics run?)" >&2
    exit 1
fi
/usr/bin/python3 - "$text" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1]) as f:
    families = {m.name: m for m in text_string_to_metric_families(f.read())}
for name, kind in [("vduse_blk_requests", "counter"), ("vduse_blk_written_bytes", "counter"),
                   ("vduse_blk_in_flight_requests", "gauge"), ("vduse_blk_request_duration_seconds", "histogram"),
                   ("vduse_blk_process_rss_anon_bytes", "gauge"), ("vduse_blk_process_cpu_seconds", "counter")]:
    if name not in families or families[name].type != kind:
        sys.exit("parse-metrics: no %s %s family" % (kind, name))
hist = {}
for s in families["vduse_blk_request_duration_seconds"].samples:
    hist.setdefault(s.labels["queue"], []).append(s)
for queue, samples in hist.items():
    buckets = [s.value for s in samples if s.name.endswith("_bucket")]
    count = [s.value for s in samples if s.name.endswith("_count")][0]
    if buckets != sorted(buckets) or buckets[-1] != count:
        sys.exit("parse-metrics: queue %s histogram is not cumulative or +Inf != _count" % queue)
print("parse-metrics: %d families, %d queues parsed" % (len(families), len(hist)))
PY
