namespace VduseAot.Block;

/// <summary>Folding per-queue counters into device totals.</summary>
public static class BlkQueueStatsExtensions
{
    /// <summary>Adds <paramref name="other"/>'s counters to <paramref name="total"/>.</summary>
    public static void Add(this BlkQueueStats total, BlkQueueStats other)
    {
        System.ArgumentNullException.ThrowIfNull(total);
        System.ArgumentNullException.ThrowIfNull(other);
        // Completions before starts: a racy copy then never shows more completed than started.
        total.Requests += other.Requests;
        total.Started += other.Started;
        total.Reads += other.Reads;
        total.Writes += other.Writes;
        total.Flushes += other.Flushes;
        total.Zeroings += other.Zeroings;
        total.GetIds += other.GetIds;
        total.BytesRead += other.BytesRead;
        total.BytesWritten += other.BytesWritten;
        total.IoErrors += other.IoErrors;
        total.Unsupported += other.Unsupported;
        total.Malformed += other.Malformed;
        total.Latency.Add(other.Latency);
    }

    /// <summary>A copy of <paramref name="stats"/> (racy while its queue runs), for reports off the queue thread.</summary>
    public static BlkQueueStats Snapshot(this BlkQueueStats stats)
    {
        var copy = new BlkQueueStats();
        copy.Add(stats);
        return copy;
    }
}
