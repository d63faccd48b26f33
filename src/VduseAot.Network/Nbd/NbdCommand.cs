namespace VduseAot.Network.Nbd;

/// <summary>Where a slot's NBD command stands on its connection.</summary>
internal enum NbdCommandState : byte
{
    /// <summary>No request in the slot.</summary>
    Free,
    /// <summary>Waiting to be sent (or re-sent after a reconnection).</summary>
    Queued,
    /// <summary>Sent (or in the send in flight), waiting for its reply.</summary>
    Sent,
}

/// <summary>
/// The NBD side of one request slot. A virtio request can take several NBD commands: a transfer
/// larger than the server's maximum payload goes in pieces, and each DISCARD or WRITE_ZEROES range is
/// its own command; they are sent one after the other, so a slot has at most one command out.
/// </summary>
internal struct NbdCommand
{
    /// <summary>NBD_CMD_*.</summary>
    public ushort Type;

    /// <summary>NBD_CMD_FLAG_*.</summary>
    public ushort Flags;

    /// <summary>State on the connection.</summary>
    public NbdCommandState State;

    /// <summary>VIRTIO_BLK_S_* so far (IOERR once any command of the request failed).</summary>
    public byte Status;

    /// <summary>Export offset of the whole transfer (reads and writes).</summary>
    public ulong Base;

    /// <summary>End of the whole transfer.</summary>
    public ulong End;

    /// <summary>Export offset of the command out now.</summary>
    public ulong Offset;

    /// <summary>Length of the command out now.</summary>
    public uint Length;

    /// <summary>Data bytes of the command out now that the reply has covered (reads).</summary>
    public uint Covered;

    /// <summary>Next DISCARD / WRITE_ZEROES range.</summary>
    public int Range;

    /// <summary>The cookie of the command out now: slot index in bits 0-15, a send count above.</summary>
    public ulong Cookie;

    /// <summary>Order of arrival, so a reconnection resends in the order the driver asked.</summary>
    public ulong Sequence;
}
