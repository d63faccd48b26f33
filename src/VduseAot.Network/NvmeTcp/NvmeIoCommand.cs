namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// The NVMe side of one request slot, whose index is the command id. A virtio request can take several
/// commands one after the other: a transfer beyond what one command moves goes in pieces, each
/// discard range is its own Dataset Management, and write-zeroes ranges go in pieces of at most 65536
/// blocks. Its state on the connection is the slot's <see cref="SlotTrack"/>.
/// </summary>
internal struct NvmeIoCommand
{
    /// <summary>nvme_cmd_*.</summary>
    public byte Opcode;

    /// <summary>Write zeroes may deallocate (the driver allowed unmap).</summary>
    public bool Unmap;

    /// <summary>A write whose data went in the capsule (no R2T may come for it).</summary>
    public bool InCapsule;

    /// <summary>An R2T of this command is being answered (H2CData queued or in the send).</summary>
    public bool Transferring;

    /// <summary>Namespace byte offset where the whole transfer (or the current range) starts.</summary>
    public ulong Base;

    /// <summary>Where it ends.</summary>
    public ulong End;

    /// <summary>Namespace byte offset of the command out now.</summary>
    public ulong Offset;

    /// <summary>Bytes of the command out now.</summary>
    public uint Length;

    /// <summary>Read data received of the command out now (C2HData), or write data the controller has asked for (R2T).</summary>
    public uint Moved;

    /// <summary>The R2T being answered: the next byte to send, where it ends, and its transfer tag.</summary>
    public uint SendFrom;

    /// <summary>End of the R2T's data.</summary>
    public uint SendEnd;

    /// <summary>TTAG of the R2T.</summary>
    public ushort TransferTag;

    /// <summary>Next discard or write-zeroes range of the slot.</summary>
    public int Range;

    /// <summary>The batch whose gather list holds this slot's H2CData header (one header buffer per slot).</summary>
    public ulong HeaderBatch;
}
