using System.Diagnostics;
using System.Text.Json;
using VduseAot.Block;

namespace VduseAot;

/// <summary>
/// The stats reply's objects: one per queue and the total (requests by type, bytes, in flight,
/// errors, latency percentiles in microseconds) and the process's cost. `vduse-blk stats` prints
/// them as text; scripts read the JSON.
/// </summary>
public static class StatsJson
{
    /// <summary>The latency percentiles reported, and their JSON names.</summary>
    public static readonly (double Percent, string Name)[] Percentiles = [(50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p99.9")];

    /// <summary>Writes the counters of <paramref name="s"/> as an object.</summary>
    public static void WriteQueue(Utf8JsonWriter w, BlkQueueStats s)
    {
        System.ArgumentNullException.ThrowIfNull(w);
        System.ArgumentNullException.ThrowIfNull(s);
        w.WriteStartObject();
        w.WriteNumber("requests", s.Requests);
        w.WriteNumber("reads", s.Reads);
        w.WriteNumber("writes", s.Writes);
        w.WriteNumber("flushes", s.Flushes);
        w.WriteNumber("discard_write_zeroes", s.Zeroings);
        w.WriteNumber("get_id", s.GetIds);
        w.WriteNumber("unsupported", s.Unsupported);
        w.WriteNumber("bytes_read", s.BytesRead);
        w.WriteNumber("bytes_written", s.BytesWritten);
        w.WriteNumber("in_flight", s.InFlight);
        w.WriteNumber("io_errors", s.IoErrors);
        w.WriteNumber("malformed", s.Malformed);

        // Last, so line-oriented scripts can pick the counters above without parsing nesting.
        w.WriteStartObject("latency_us");
        LatencyHistogram h = s.Latency;
        w.WriteNumber("count", h.Count);
        w.WriteNumber("mean", h.Count == 0 ? 0 : Round(Microseconds((long)(h.Sum / h.Count))));
        foreach ((double percent, string name) in Percentiles)
        {
            w.WriteNumber(name, Round(Microseconds(h.Percentile(percent))));
        }

        w.WriteNumber("max", Round(Microseconds(h.Max)));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes what the process has cost, with CPU time per request over <paramref name="requests"/>.</summary>
    public static void WriteProcess(Utf8JsonWriter w, ProcessCost cost, ulong requests)
    {
        System.ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteStartArray("gc_collections");
        w.WriteNumberValue(cost.Gen0);
        w.WriteNumberValue(cost.Gen1);
        w.WriteNumberValue(cost.Gen2);
        w.WriteEndArray();
        w.WriteNumber("allocated_bytes", cost.AllocatedBytes);
        w.WriteNumber("rss_bytes", cost.RssBytes);
        w.WriteNumber("rss_anon_bytes", cost.RssAnonBytes);
        w.WriteNumber("rss_file_bytes", cost.RssFileBytes);
        w.WriteNumber("rss_shmem_bytes", cost.RssShmemBytes);
        w.WriteNumber("cpu_seconds", Round(cost.Cpu.TotalSeconds));
        if (cost.CpuMicrosecondsPer(requests) is double us)
        {
            w.WriteNumber("cpu_us_per_request", Round(us));
        }
        else
        {
            w.WriteNull("cpu_us_per_request");
        }

        w.WriteEndObject();
    }

    /// <summary>Writes one network connection of the backend as an object.</summary>
    public static void WriteConnection(Utf8JsonWriter w, ConnectionStatus c)
    {
        System.ArgumentNullException.ThrowIfNull(w);
        System.ArgumentNullException.ThrowIfNull(c);
        w.WriteStartObject();
        w.WriteString("name", c.Name);
        w.WriteString("peer", c.Peer);
        w.WriteString("state", c.State);
        w.WriteNumber("reconnects", c.Reconnects);
        w.WriteNumber("in_flight", c.InFlight);
        w.WriteNumber("server_errors", c.ServerErrors);
        if (c.LastError is string e)
        {
            w.WriteString("last_error", e);
        }
        else
        {
            w.WriteNull("last_error");
        }

        w.WriteEndObject();
    }

    /// <summary>Stopwatch ticks in microseconds.</summary>
    public static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static double Round(double v) => System.Math.Round(v, 3);
}
