using System;
using System.Globalization;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>What the process has cost so far: garbage collections, managed bytes allocated, RSS and CPU time.</summary>
public readonly record struct ProcessCost(int Gen0, int Gen1, int Gen2, long AllocatedBytes, long RssBytes, TimeSpan Cpu)
{
    /// <summary>CPU microseconds per request, or null before the first request.</summary>
    public double? CpuMicrosecondsPer(ulong requests) => requests == 0 ? null : Cpu.TotalMicroseconds / requests;
}

/// <summary>
/// What the daemon cost, printed at exit and returned by the control socket's stats: requests served,
/// garbage collections and managed bytes allocated since start (the data plane allocates nothing, so
/// these stay at start-up levels), RSS and CPU time per request.
/// </summary>
public static class ProcessAccounting
{
    /// <summary>The process's cost now.</summary>
    public static ProcessCost Measure() => new(
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(), Environment.WorkingSet, Environment.CpuUsage.TotalTime);

    /// <summary>Logs one summary line for device <paramref name="name"/>.</summary>
    public static void Report(string name, BlkQueueStats totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        ProcessCost cost = Measure();
        double? each = cost.CpuMicrosecondsPer(totals.Requests);
        string perRequest = each is double us ? us.ToString("0.0", CultureInfo.InvariantCulture) + " us" : "-";
        Log.Write(LogLevel.Info, name,
            "served " + totals.Requests + " requests (" + totals.Reads + " reads, " + totals.Writes + " writes, " + totals.Flushes + " flushes, "
            + totals.Zeroings + " discard/zeroes, " + totals.IoErrors + " IOERR, " + totals.Unsupported + " UNSUPP); "
            + "GC collections " + cost.Gen0 + "/" + cost.Gen1 + "/" + cost.Gen2
            + ", allocated " + SizeText.Format((ulong)cost.AllocatedBytes) + " since start; RSS " + SizeText.Format((ulong)cost.RssBytes)
            + "; CPU " + cost.Cpu.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s (" + perRequest + " per request)");
    }
}
