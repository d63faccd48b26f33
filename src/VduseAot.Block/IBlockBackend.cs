using System;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// Storage behind a virtio-blk device. Offsets and lengths are in bytes and already checked against
/// <see cref="CapacityBytes"/>. Methods return a VIRTIO_BLK_S_* status. Implementations are driven by
/// one queue thread at a time per instance unless they say otherwise.
/// </summary>
public interface IBlockBackend : IDisposable
{
    /// <summary>Size in bytes (a multiple of 512).</summary>
    ulong CapacityBytes { get; }

    /// <summary>True when writes must be refused (VIRTIO_BLK_F_RO).</summary>
    bool ReadOnly { get; }

    /// <summary>Short text for logs and `list`: "ram 64 MiB".</summary>
    string Describe();

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>.</summary>
    byte Read(ulong offset, ReadOnlySpan<IoSegment> destination);

    /// <summary>Stores <paramref name="source"/> at <paramref name="offset"/>.</summary>
    byte Write(ulong offset, ReadOnlySpan<IoSegment> source);

    /// <summary>Makes completed writes durable.</summary>
    byte Flush();
}
