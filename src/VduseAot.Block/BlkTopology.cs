namespace VduseAot.Block;

/// <summary>
/// How the storage prefers to be addressed, as a backend knows it (an NBD server's block sizes, say):
/// folded into virtio_blk_config's topology, size_max and discard alignment. Zero leaves a field at the
/// device's default. All sizes in bytes.
/// </summary>
public sealed record BlkTopology
{
    /// <summary>No preference: every field at its default.</summary>
    public static BlkTopology None { get; } = new();

    /// <summary>The unit below which a write costs a read-modify-write (physical_block_exp, min_io_size).</summary>
    public uint PhysicalBlockBytes { get; init; }

    /// <summary>The size requests are best made in (opt_io_size).</summary>
    public uint OptimalIoBytes { get; init; }

    /// <summary>The largest transfer one backend request carries (caps size_max).</summary>
    public uint MaxTransferBytes { get; init; }

    /// <summary>The unit discards take effect in (discard_sector_alignment).</summary>
    public uint DiscardGranularityBytes { get; init; }
}
