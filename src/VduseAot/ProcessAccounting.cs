using System;
using System.Globalization;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// What the daemon cost, printed at exit: requests served, garbage collections and managed bytes
/// allocated since start (the data plane allocates nothing, so these stay at start-up levels), RSS and
/// CPU time per request.
/// </summary>
public static class ProcessAccounting
{
    /// <summary>Logs one summary line for device <paramref name="name"/>.</summary>
    public static void Report(string name, BlkQueueStats totals)
    {
        TimeSpan cpu = Environment.CpuUsage.TotalTime;
        string perRequest = totals.Requests == 0 ? "-" : (cpu.TotalMicroseconds / totals.Requests).ToString("0.0", CultureInfo.InvariantCulture) + " us";
        Log.Write(LogLevel.Info, name,
            "served " + totals.Requests + " requests (" + totals.Reads + " reads, " + totals.Writes + " writes, " + totals.Flushes + " flushes, "
            + totals.Zeroings + " discard/zeroes, " + totals.IoErrors + " IOERR, " + totals.Unsupported + " UNSUPP); "
            + "GC collections " + GC.CollectionCount(0) + "/" + GC.CollectionCount(1) + "/" + GC.CollectionCount(2)
            + ", allocated " + SizeText.Format((ulong)GC.GetTotalAllocatedBytes()) + " since start; RSS " + SizeText.Format((ulong)Environment.WorkingSet)
            + "; CPU " + cpu.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s (" + perRequest + " per request)");
    }
}
