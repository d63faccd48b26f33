namespace VduseAot.Block;

/// <summary>Folding per-queue counters into device totals.</summary>
public static class BlkQueueStatsExtensions
{
    /// <summary>Adds <paramref name="other"/>'s counters to <paramref name="total"/>.</summary>
    public static void Add(this BlkQueueStats total, BlkQueueStats other)
    {
        total.Requests += other.Requests;
        total.Reads += other.Reads;
        total.Writes += other.Writes;
        total.Flushes += other.Flushes;
        total.Zeroings += other.Zeroings;
        total.BytesRead += other.BytesRead;
        total.BytesWritten += other.BytesWritten;
        total.IoErrors += other.IoErrors;
        total.Unsupported += other.Unsupported;
        total.Malformed += other.Malformed;
    }
}
