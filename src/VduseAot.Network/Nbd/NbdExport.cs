namespace VduseAot.Network.Nbd;

/// <summary>What NBD_OPT_GO told us about an export, and how the connection was set up.</summary>
public sealed record NbdExport
{
    /// <summary>Size in bytes (NBD_INFO_EXPORT).</summary>
    public ulong Size { get; init; }

    /// <summary>Transmission flags (NBD_FLAG_*).</summary>
    public ushort Flags { get; init; }

    /// <summary>Minimum block size (1 when the server gave no NBD_INFO_BLOCK_SIZE).</summary>
    public uint MinimumBlock { get; init; } = 1;

    /// <summary>Preferred block size.</summary>
    public uint PreferredBlock { get; init; } = 4096;

    /// <summary>Largest payload of one request.</summary>
    public uint MaximumPayload { get; init; } = NbdProto.DefaultMaxPayload;

    /// <summary>Structured replies negotiated (always with extended headers).</summary>
    public bool StructuredReplies { get; init; }

    /// <summary>Extended (32-byte) headers negotiated.</summary>
    public bool ExtendedHeaders { get; init; }

    /// <summary>NBD_FLAG_READ_ONLY.</summary>
    public bool ReadOnly => Has(NbdProto.NBD_FLAG_READ_ONLY);

    /// <summary>NBD_FLAG_SEND_FLUSH.</summary>
    public bool CanFlush => Has(NbdProto.NBD_FLAG_SEND_FLUSH);

    /// <summary>NBD_FLAG_SEND_TRIM.</summary>
    public bool CanTrim => Has(NbdProto.NBD_FLAG_SEND_TRIM);

    /// <summary>NBD_FLAG_SEND_WRITE_ZEROES.</summary>
    public bool CanWriteZeroes => Has(NbdProto.NBD_FLAG_SEND_WRITE_ZEROES);

    /// <summary>NBD_FLAG_CAN_MULTI_CONN.</summary>
    public bool CanMultiConn => Has(NbdProto.NBD_FLAG_CAN_MULTI_CONN);

    /// <summary>
    /// What changed in a reconnection that the device cannot follow: the size or the transmission
    /// flags (null when nothing did).
    /// </summary>
    public string? Difference(NbdExport now)
    {
        System.ArgumentNullException.ThrowIfNull(now);
        if (now.Size != Size)
        {
            return "the export's size changed from " + Size + " to " + now.Size + " bytes";
        }

        return now.Flags != Flags ? "the export's flags changed from 0x" + Flags.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
            + " to 0x" + now.Flags.ToString("x", System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private bool Has(ushort flag) => (Flags & flag) != 0;
}
