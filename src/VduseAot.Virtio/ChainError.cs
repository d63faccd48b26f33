namespace VduseAot.Virtio;

/// <summary>Which driver mistake made a descriptor chain unusable. Named after the spec rule it breaks.</summary>
public enum ChainError : byte
{
    /// <summary>The chain is well formed.</summary>
    None = 0,
    /// <summary>A next index points past the descriptor table.</summary>
    IndexOutOfRange,
    /// <summary>More descriptors than the queue size: a loop, or a chain no valid driver can build.</summary>
    TooLong,
    /// <summary>A descriptor with length 0.</summary>
    ZeroLength,
    /// <summary>A device-readable descriptor after a device-writable one (spec 2.7.4.2 / 2.7.13).</summary>
    ReadableAfterWritable,
    /// <summary>A buffer address the IOTLB does not map, or maps without the needed permission.</summary>
    UnmappedAddress,
    /// <summary>VRING_DESC_F_INDIRECT used although the feature was not negotiated.</summary>
    IndirectNotNegotiated,
    /// <summary>The buffers split into more pieces than a request slot holds.</summary>
    TooManySegments,
    /// <summary>An indirect table inside an indirect table (spec 2.7.5.3.1).</summary>
    NestedIndirect,
    /// <summary>An indirect descriptor with NEXT set, or a table length that is zero or not a multiple of 16.</summary>
    BadIndirectTable,
}
