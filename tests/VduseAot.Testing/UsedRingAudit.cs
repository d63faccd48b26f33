using VduseAot.Interop;

namespace VduseAot.Testing;

/// <summary>What an allocation test's drive loop counted over its batches.</summary>
public struct UsedTotals
{
    /// <summary>Used entries seen.</summary>
    public int Completed;

    /// <summary>Anything that went wrong: a head missing or twice, a status not OK, a batch that stalled.</summary>
    public int Failures;

    /// <summary>Sum of the used lengths.</summary>
    public long UsedBytes;
}

/// <summary>
/// Checks a batch of a split ring's used entries without allocating (for the allocation tests'
/// loops): every head of the batch exactly once, in any order, and every request's status OK.
/// </summary>
public static unsafe class UsedRingAudit
{
    /// <summary>
    /// Audits used entries <paramref name="start"/> to <paramref name="end"/> of a ring of
    /// <paramref name="queueSize"/> (a power of two) against <paramref name="heads"/> and their status
    /// bytes; <paramref name="seen"/> remembers the <paramref name="stamp"/> (unique per batch) of each head.
    /// </summary>
    public static void Batch(ref UsedTotals t, vring_used_elem* usedRing, int queueSize, ushort start, ushort end,
        ushort[] heads, byte** status, int[] seen, int stamp)
    {
        System.ArgumentNullException.ThrowIfNull(heads);
        System.ArgumentNullException.ThrowIfNull(seen);
        for (ushort u = start; u != end; u++)
        {
            vring_used_elem e = usedRing[u & (queueSize - 1)];
            t.UsedBytes += e.len;
            t.Completed++;
            if (e.id >= queueSize || seen[e.id] == stamp)
            {
                t.Failures++;
            }
            else
            {
                seen[e.id] = stamp;
            }
        }

        for (int i = 0; i < heads.Length; i++)
        {
            if (seen[heads[i]] != stamp || status[i][0] != VirtioBlk.VIRTIO_BLK_S_OK)
            {
                t.Failures++;
            }
        }
    }
}
