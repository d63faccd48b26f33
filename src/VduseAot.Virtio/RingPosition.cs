namespace VduseAot.Virtio;

/// <summary>
/// Where a ring stands on both sides: the next avail index the device reads and the next used index
/// it writes, each with its wrap counter. Split rings have no wrap counters (always false); a packed
/// ring flips them each time an index passes the end of the ring. What GET_VQ_STATE reports and
/// what a start or restart continues from (virtio-queue's <c>state()</c>).
/// </summary>
/// <param name="AvailIndex">Next avail index the device will read.</param>
/// <param name="AvailWrap">Packed: the avail wrap counter.</param>
/// <param name="UsedIndex">Next used index the device will write.</param>
/// <param name="UsedWrap">Packed: the used wrap counter.</param>
public readonly record struct RingPosition(ushort AvailIndex, bool AvailWrap, ushort UsedIndex, bool UsedWrap)
{
    /// <summary>A fresh packed ring: index 0 on both sides with both wrap counters set (spec 2.8.1).</summary>
    public static RingPosition FreshPacked => new(0, true, 0, true);

    /// <summary>A split ring position (no wrap counters).</summary>
    public static RingPosition Split(ushort availIndex, ushort usedIndex = 0) => new(availIndex, false, usedIndex, false);
}
