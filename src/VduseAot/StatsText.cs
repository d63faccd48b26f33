using System.Globalization;
using System.IO;
using System.Text.Json;
using VduseAot.Block;

namespace VduseAot;

/// <summary>`vduse-blk stats NAME` without --json: the stats reply as two tables and a process line.</summary>
public static class StatsText
{
    private static readonly string[] Counters =
        ["requests", "reads", "writes", "flushes", "discard_write_zeroes", "get_id", "unsupported", "in_flight", "io_errors", "malformed"];

    private static readonly string[] CounterHeadings =
        ["requests", "reads", "writes", "flushes", "discard/wz", "get-id", "unsupp", "inflight", "ioerr", "malformed"];

    /// <summary>Writes <paramref name="stats"/> (a stats reply) to <paramref name="o"/>.</summary>
    public static void Write(TextWriter o, JsonElement stats)
    {
        System.ArgumentNullException.ThrowIfNull(o);
        JsonElement queues = stats.GetProperty(AdminProtocol.Queues);
        o.WriteLine(stats.GetProperty(AdminProtocol.Name).GetString() + ": up " + AdminCommands.Uptime(stats.GetProperty(AdminProtocol.UptimeSeconds).GetDouble())
            + ", " + queues.GetArrayLength() + " queue(s)");

        o.Write(Cell("queue", 6));
        foreach (string h in CounterHeadings)
        {
            o.Write(Cell(h, 11));
        }

        o.WriteLine(Cell("read", 11) + Cell("written", 11));
        int i = 0;
        foreach (JsonElement q in queues.EnumerateArray())
        {
            WriteCounters(o, (i++).ToString(CultureInfo.InvariantCulture), q);
        }

        WriteCounters(o, "total", stats.GetProperty(AdminProtocol.Total));

        o.Write(Cell("latency us", 12));
        foreach ((_, string name) in StatsJson.Percentiles)
        {
            o.Write(Cell(name, 11));
        }

        o.WriteLine(Cell("max", 11) + Cell("mean", 11));
        i = 0;
        foreach (JsonElement q in queues.EnumerateArray())
        {
            WriteLatency(o, (i++).ToString(CultureInfo.InvariantCulture), q);
        }

        WriteLatency(o, "total", stats.GetProperty(AdminProtocol.Total));

        JsonElement p = stats.GetProperty(AdminProtocol.Process);
        JsonElement gc = p.GetProperty("gc_collections");
        JsonElement perRequest = p.GetProperty("cpu_us_per_request");
        o.WriteLine("process: GC collections " + gc[0].GetInt32() + "/" + gc[1].GetInt32() + "/" + gc[2].GetInt32()
            + ", allocated " + SizeText.Format(p.GetProperty("allocated_bytes").GetUInt64()) + " since start, "
            + ProcessAccounting.RssText(p.GetProperty("rss_bytes").GetUInt64(), p.GetProperty("rss_anon_bytes").GetUInt64(),
                p.GetProperty("rss_file_bytes").GetUInt64(), p.GetProperty("rss_shmem_bytes").GetUInt64()) + ", CPU "
            + p.GetProperty("cpu_seconds").GetDouble().ToString("0.00", CultureInfo.InvariantCulture) + " s ("
            + (perRequest.ValueKind == JsonValueKind.Number ? perRequest.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " us" : "-")
            + " per request)");
        if (stats.TryGetProperty(AdminProtocol.Connections, out JsonElement connections))
        {
            WriteConnections(o, connections);
        }
    }

    /// <summary>One line per connection: where, its state and counters, and the last error when there was one.</summary>
    private static void WriteConnections(TextWriter o, JsonElement connections)
    {
        o.WriteLine(Cell("connection", 20) + Cell("peer", 28) + Cell("state", 14) + Cell("reconnects", 11) + Cell("inflight", 11) + Cell("srv-errors", 11) + "last error");
        foreach (JsonElement c in connections.EnumerateArray())
        {
            JsonElement last = c.GetProperty("last_error");
            o.WriteLine(Cell(c.GetProperty("name").GetString() ?? "", 20) + Cell(c.GetProperty("peer").GetString() ?? "", 28)
                + Cell(c.GetProperty("state").GetString() ?? "", 14) + Cell(c.GetProperty("reconnects").GetInt64().ToString(CultureInfo.InvariantCulture), 11)
                + Cell(c.GetProperty("in_flight").GetInt32().ToString(CultureInfo.InvariantCulture), 11)
                + Cell(c.GetProperty("server_errors").GetInt64().ToString(CultureInfo.InvariantCulture), 11)
                + (last.ValueKind == JsonValueKind.String ? last.GetString() : "-"));
        }
    }

    private static void WriteCounters(TextWriter o, string label, JsonElement q)
    {
        o.Write(Cell(label, 6));
        foreach (string c in Counters)
        {
            o.Write(Cell(q.GetProperty(c).GetUInt64().ToString(CultureInfo.InvariantCulture), 11));
        }

        o.WriteLine(Cell(SizeText.Format(q.GetProperty("bytes_read").GetUInt64()), 11) + Cell(SizeText.Format(q.GetProperty("bytes_written").GetUInt64()), 11));
    }

    private static void WriteLatency(TextWriter o, string label, JsonElement q)
    {
        JsonElement l = q.GetProperty("latency_us");
        o.Write(Cell(label, 12));
        foreach ((_, string name) in StatsJson.Percentiles)
        {
            o.Write(Cell(Number(l.GetProperty(name)), 11));
        }

        o.WriteLine(Cell(Number(l.GetProperty("max")), 11) + Cell(Number(l.GetProperty("mean")), 11));
    }

    private static string Number(JsonElement e) => e.GetDouble().ToString("0.0", CultureInfo.InvariantCulture);

    private static string Cell(string text, int width) => text.PadRight(width);
}
