namespace VduseAot.Block;

/// <summary>
/// io_uring user_data of request operations: slot index in bits 0-15, the backend's tag in bits 16-47.
/// Bit 62 marks an operation of the backend's connection rather than of one slot (a socket's send or
/// receive, a timer), routed to <see cref="IConnectionQueueIo"/>. Bit 63 is never set, so queue threads
/// can use it for their own operations (kick and wake reads).
/// </summary>
public static class BlkQueueUserDataCodec
{
    private const int SlotBits = 16;
    private const ulong ConnectionBit = 1UL << 62;

    /// <summary>user_data for operation <paramref name="tag"/> of slot <paramref name="slot"/>.</summary>
    public static ulong Encode(ushort slot, uint tag) => slot | ((ulong)tag << SlotBits);

    /// <summary>user_data for the connection's own operation <paramref name="tag"/>.</summary>
    public static ulong EncodeConnection(uint tag) => ConnectionBit | tag;

    /// <summary>True for a user_data made by <see cref="EncodeConnection"/>.</summary>
    public static bool IsConnection(ulong userData) => (userData & ConnectionBit) != 0;

    /// <summary>The tag of a connection user_data.</summary>
    public static uint ConnectionTag(ulong userData) => (uint)userData;

    /// <summary>The slot of a user_data.</summary>
    public static ushort Slot(ulong userData) => (ushort)userData;

    /// <summary>The tag of a user_data.</summary>
    public static uint Tag(ulong userData) => (uint)(userData >> SlotBits);
}
