using System;
using System.Diagnostics;
using System.Globalization;
using VduseAot.Block;

namespace VduseAot;

/// <summary>What one scrape shows: the device, its queues' counters (racy copies) and the process's cost.</summary>
public sealed record MetricsSnapshot(string Device, double UptimeSeconds, ulong CapacityBytes, BlkQueueStats[] Queues, ProcessCost Process,
    ConnectionStatus[]? Connections = null);

/// <summary>
/// The metrics of one device in the Prometheus text format, for `stats --prometheus` and the
/// `--metrics-listen` endpoint alike. Every sample has a `device` label, the per-queue ones a `queue`
/// label; there are no device totals beside them (sum() over queues gives them, and a total in the
/// same family would be counted twice).
/// </summary>
public static partial class PrometheusMetrics
{
    /// <summary>The Content-Type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The finite `le` boundaries of the latency histogram, spelt as Go's client spells them (the
    /// label value must stay the same for a series), with their value in nanoseconds.
    /// </summary>
    public static readonly (string Le, long Nanoseconds)[] LatencyBounds =
    [
        ("1e-05", 10_000), ("2.5e-05", 25_000), ("5e-05", 50_000), ("0.0001", 100_000), ("0.00025", 250_000),
        ("0.0005", 500_000), ("0.001", 1_000_000), ("0.0025", 2_500_000), ("0.005", 5_000_000), ("0.01", 10_000_000),
        ("0.025", 25_000_000), ("0.05", 50_000_000), ("0.1", 100_000_000), ("0.25", 250_000_000), ("0.5", 500_000_000),
        ("1", 1_000_000_000), ("2.5", 2_500_000_000), ("5", 5_000_000_000), ("10", 10_000_000_000),
    ];

    // Stopwatch ticks at or below which a latency is within each bound: latencies are whole ticks,
    // so floor(bound) keeps the comparison exact.
    private static readonly long[] BoundTicks = Array.ConvertAll(LatencyBounds, b => (long)((Int128)b.Nanoseconds * Stopwatch.Frequency / 1_000_000_000));

    private const string Prefix = "vduse_blk_";

    /// <summary>The whole exposition for <paramref name="s"/>.</summary>
    public static string Format(MetricsSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var t = new PrometheusText();
        string device = PrometheusText.Label("device", s.Device);
        var labels = new string[s.Queues.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = device + "," + PrometheusText.Label("queue", i.ToString(CultureInfo.InvariantCulture));
        }

        WriteRequests(t, labels, s.Queues);
        WriteLatency(t, labels, s.Queues);
        WriteDevice(t, device, s);
        WriteConnections(t, device, s.Connections ?? []);
        WriteProcess(t, device, s.Process);
        return t.ToString();
    }

    private static void WriteRequests(PrometheusText t, string[] labels, BlkQueueStats[] queues)
    {
        string name = Prefix + "requests_total";
        t.Family(name, "counter", "Requests completed with status OK, by type (failures are in " + Prefix + "request_errors_total).");
        for (int i = 0; i < queues.Length; i++)
        {
            BlkQueueStats q = queues[i];
            t.Sample(name, labels[i] + ",type=\"read\"", q.Reads);
            t.Sample(name, labels[i] + ",type=\"write\"", q.Writes);
            t.Sample(name, labels[i] + ",type=\"flush\"", q.Flushes);
            t.Sample(name, labels[i] + ",type=\"discard_write_zeroes\"", q.Zeroings);
            t.Sample(name, labels[i] + ",type=\"get_id\"", q.GetIds);
        }

        name = Prefix + "request_errors_total";
        t.Family(name, "counter", "Requests answered VIRTIO_BLK_S_IOERR (status io_error) or VIRTIO_BLK_S_UNSUPP (status unsupported).");
        for (int i = 0; i < queues.Length; i++)
        {
            t.Sample(name, labels[i] + ",status=\"io_error\"", queues[i].IoErrors);
            t.Sample(name, labels[i] + ",status=\"unsupported\"", queues[i].Unsupported);
        }

        PerItem(t, "malformed_requests_total", "counter", "Malformed requests or descriptor chains (answered io_error when they had a status byte).", labels, queues, q => q.Malformed);
        PerItem(t, "read_bytes_total", "counter", "Bytes read by the driver.", labels, queues, q => q.BytesRead);
        PerItem(t, "written_bytes_total", "counter", "Bytes written by the driver.", labels, queues, q => q.BytesWritten);
        PerItem(t, "in_flight_requests", "gauge", "Requests started and not completed yet.", labels, queues, q => q.InFlight);
    }

    /// <summary>One family with a sample per item (queue, connection), each under its own labels.</summary>
    private static void PerItem<T>(PrometheusText t, string suffix, string type, string help, string[] labels, T[] items, Func<T, ulong> value)
    {
        t.Family(Prefix + suffix, type, help);
        for (int i = 0; i < items.Length; i++)
        {
            t.Sample(Prefix + suffix, labels[i], value(items[i]));
        }
    }

    /// <summary>
    /// The log-linear histogram folded into the fixed `le` boundaries. A log-linear bucket counts for
    /// a boundary only when its upper edge is at or below it, so each cumulative count is
    /// conservative: low by at most the one bucket straddling the boundary (a 32nd of its value).
    /// _count is the +Inf bucket (both from the same copy of the counts) and _sum the exact sum.
    /// </summary>
    private static void WriteLatency(PrometheusText t, string[] labels, BlkQueueStats[] queues)
    {
        string name = Prefix + "request_duration_seconds";
        t.Family(name, "histogram", "Time from taking a request off the ring to completing it.");
        var counts = new ulong[BoundTicks.Length];
        for (int i = 0; i < queues.Length; i++)
        {
            LatencyHistogram h = queues[i].Latency;
            ulong total = h.CountAtOrBelow(BoundTicks, counts);
            for (int b = 0; b < counts.Length; b++)
            {
                t.Sample(name + "_bucket", labels[i] + ",le=\"" + LatencyBounds[b].Le + "\"", counts[b]);
            }

            t.Sample(name + "_bucket", labels[i] + ",le=\"+Inf\"", total);
            t.Sample(name + "_sum", labels[i], h.Sum / (double)Stopwatch.Frequency);
            t.Sample(name + "_count", labels[i], total);
        }
    }

    private static void WriteDevice(PrometheusText t, string device, MetricsSnapshot s)
    {
        t.Family(Prefix + "capacity_bytes", "gauge", "The disk's capacity as the driver sees it.");
        t.Sample(Prefix + "capacity_bytes", device, s.CapacityBytes);
        t.Family(Prefix + "queues", "gauge", "Virtqueues the device offers.");
        t.Sample(Prefix + "queues", device, (ulong)s.Queues.Length);
        t.Family(Prefix + "uptime_seconds", "gauge", "Seconds since this daemon process started serving the device.");
        t.Sample(Prefix + "uptime_seconds", device, s.UptimeSeconds);
    }

    private static void WriteProcess(PrometheusText t, string device, ProcessCost p)
    {
        string name = Prefix + "process_gc_collections_total";
        t.Family(name, "counter", "Garbage collections that collected this generation (a gen2 collection counts for 0 and 1 too).");
        t.Sample(name, device + ",generation=\"0\"", (ulong)p.Gen0);
        t.Sample(name, device + ",generation=\"1\"", (ulong)p.Gen1);
        t.Sample(name, device + ",generation=\"2\"", (ulong)p.Gen2);
        One(t, "process_allocated_bytes_total", "counter", "Managed bytes allocated since start (the data plane allocates none).", device, (ulong)p.AllocatedBytes);
        One(t, "process_cpu_seconds_total", "counter", "User and system CPU time of the process.", device, p.Cpu.TotalSeconds);
        One(t, "process_rss_bytes", "gauge", "Resident set size of the process.", device, (ulong)p.RssBytes);
        One(t, "process_rss_anon_bytes", "gauge", "Resident anonymous memory (RssAnon): the daemon's own heap, stacks and rings.", device, (ulong)p.RssAnonBytes);
        One(t, "process_rss_file_bytes", "gauge", "Resident file-backed memory (RssFile): mostly the binary.", device, (ulong)p.RssFileBytes);
        One(t, "process_rss_shmem_bytes", "gauge", "Resident shared memory (RssShmem): the image pages of a RAM disk or of a file on tmpfs.", device, (ulong)p.RssShmemBytes);
    }

    private static void One(PrometheusText t, string suffix, string type, string help, string device, ulong value)
    {
        t.Family(Prefix + suffix, type, help);
        t.Sample(Prefix + suffix, device, value);
    }

    private static void One(PrometheusText t, string suffix, string type, string help, string device, double value)
    {
        t.Family(Prefix + suffix, type, help);
        t.Sample(Prefix + suffix, device, value);
    }
}
