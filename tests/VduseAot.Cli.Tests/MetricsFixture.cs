using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using VduseAot.Block;

namespace VduseAot.Cli.Tests;

/// <summary>Realistic stats of a two-queue device and a reader for the samples of an exposition.</summary>
internal static class MetricsFixture
{
    public static long Ticks(long nanoseconds) => (long)((Int128)nanoseconds * Stopwatch.Frequency / 1_000_000_000);

    public static BlkQueueStats[] Queues()
    {
        var q0 = new BlkQueueStats { Started = 1006, Requests = 1005, Reads = 600, Writes = 390, Flushes = 10, Zeroings = 2, GetIds = 1, IoErrors = 1, Unsupported = 1 };
        q0.BytesRead = 600 * 4096;
        q0.BytesWritten = 390 * 65536;
        var random = new Random(11);
        for (int i = 0; i < 1005; i++)
        {
            // 5 us to about 150 ms, log-uniform: every exported bucket sees something.
            q0.Latency.Record(Ticks((long)(5_000 * Math.Exp(random.NextDouble() * 10.3))));
        }

        var q1 = new BlkQueueStats { Started = 3, Requests = 3, Writes = 2, Malformed = 1, IoErrors = 1, BytesWritten = 8192 };
        foreach (long ns in new long[] { 40_000, 1_000_000, 3_000_000_000 })
        {
            q1.Latency.Record(Ticks(ns));
        }

        return [q0, q1];
    }

    public static ProcessCost Process() => new(7, 2, 1, 123_456_789, 75 << 20, TimeSpan.FromSeconds(1.25))
    {
        RssAnonBytes = 9 << 20,
        RssFileBytes = 2 << 20,
        RssShmemBytes = 64 << 20,
    };

    /// <summary>An NBD device's two connections: one up, one being made again after errors.</summary>
    public static ConnectionStatus[] Connections() =>
    [
        new("queue 0", "127.0.0.1:10809", "connected", 0, 0, 0, null),
        new("queue 1", "127.0.0.1:10809", "reconnecting", 3, 5, 2, "cannot connect to 127.0.0.1:10809: ECONNREFUSED (Connection refused)"),
    ];

    public static string Text(string device = "disk0", bool connections = false) =>
        PrometheusMetrics.Format(new MetricsSnapshot(device, 3600.5, 1UL << 30, Queues(), Process(), connections ? Connections() : null));

    /// <summary>Every sample line as "name{labels}" -> value, failing on a line that is neither a comment nor a sample.</summary>
    public static Dictionary<string, double> Samples(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            if (space <= 0)
            {
                throw new FormatException("not a sample: " + line);
            }

            samples.Add(line[..space], double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        return samples;
    }
}
