namespace VduseAot.Network.Nbd;

/// <summary>
/// The NBD side of one request slot. A virtio request can take several NBD commands: a transfer
/// larger than the server's maximum payload goes in pieces, and each DISCARD or WRITE_ZEROES range is
/// its own command; they are sent one after the other, so a slot has at most one command out. Its
/// state on the connection is the slot's <see cref="SlotTrack"/>.
/// </summary>
internal struct NbdCommand
{
    /// <summary>NBD_CMD_*.</summary>
    public ushort Type;

    /// <summary>NBD_CMD_FLAG_*.</summary>
    public ushort Flags;

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
}
