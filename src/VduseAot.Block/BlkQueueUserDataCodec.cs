namespace VduseAot.Block;

/// <summary>
/// io_uring user_data of request operations: slot index in bits 0-15, the backend's tag in bits 16-47.
/// Bit 63 is never set, so queue threads can use it for their own operations (kick and wake reads).
/// </summary>
public static class BlkQueueUserDataCodec
{
    private const int SlotBits = 16;

    /// <summary>user_data for operation <paramref name="tag"/> of slot <paramref name="slot"/>.</summary>
    public static ulong Encode(ushort slot, uint tag) => slot | ((ulong)tag << SlotBits);

    /// <summary>The slot of a user_data.</summary>
    public static ushort Slot(ulong userData) => (ushort)userData;

    /// <summary>The tag of a user_data.</summary>
    public static uint Tag(ulong userData) => (uint)(userData >> SlotBits);
}
