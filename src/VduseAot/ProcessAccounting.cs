using System;
using System.Globalization;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// What the process has cost so far: garbage collections, managed bytes allocated, RSS and CPU time.
/// RSS is split as /proc/self/status does: anonymous pages (the heap, stacks, rings), file pages
/// (the binary) and shared memory (a RAM disk's tmpfs image, which is the disk, not our overhead).
/// </summary>
public readonly record struct ProcessCost(int Gen0, int Gen1, int Gen2, long AllocatedBytes, long RssBytes, TimeSpan Cpu)
{
    /// <summary>RssAnon: private anonymous pages.</summary>
    public long RssAnonBytes { get; init; }

    /// <summary>RssFile: pages of mapped files.</summary>
    public long RssFileBytes { get; init; }

    /// <summary>RssShmem: shared memory and tmpfs pages (a RAM disk's image lives here).</summary>
    public long RssShmemBytes { get; init; }

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
    public static ProcessCost Measure()
    {
        (long anon, long file, long shmem) = ProcStatus.Rss(ProcStatus.ReadSelf());
        return new ProcessCost(
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            GC.GetTotalAllocatedBytes(), Environment.WorkingSet, Environment.CpuUsage.TotalTime)
        {
            RssAnonBytes = anon,
            RssFileBytes = file,
            RssShmemBytes = shmem,
        };
    }

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
            + ", allocated " + SizeText.Format((ulong)cost.AllocatedBytes) + " since start; " + RssText(cost)
            + "; CPU " + cost.Cpu.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s (" + perRequest + " per request)");
    }

    /// <summary>"RSS 70 MiB (anon 4 MiB, file 2 MiB, shmem 64 MiB)".</summary>
    public static string RssText(ProcessCost cost) => RssText((ulong)cost.RssBytes, (ulong)cost.RssAnonBytes, (ulong)cost.RssFileBytes, (ulong)cost.RssShmemBytes);

    /// <summary>"RSS 70 MiB (anon 4 MiB, file 2 MiB, shmem 64 MiB)" from the four figures in bytes.</summary>
    public static string RssText(ulong rss, ulong anon, ulong file, ulong shmem) =>
        "RSS " + SizeText.Format(rss) + " (anon " + SizeText.Format(anon) + ", file " + SizeText.Format(file) + ", shmem " + SizeText.Format(shmem) + ")";
}
