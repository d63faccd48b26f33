using System;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// A virtio-blk request parsed out of a descriptor chain (virtio 1.2 section 5.2.6): header, data
/// segments and where the status byte goes. One instance per request slot, reused for every request.
/// Parsing is separate from execution so a guest mistake is reported before any I/O starts.
/// </summary>
public sealed unsafe class BlkRequest
{
    private const int HeaderBytes = 16;
    // Set when the request owns its segments: keeps the pinned array (and so the pointer) alive.
    private readonly IoSegment[]? _owned;
    private readonly IoSegment* _data;
    private readonly int _capacity;

    /// <summary>Creates a slot able to describe up to <paramref name="maxSegments"/> data segments, in memory of its own.</summary>
    public BlkRequest(int maxSegments)
    {
        _owned = GC.AllocateArray<IoSegment>(maxSegments, pinned: true);
        fixed (IoSegment* p = _owned)
        {
            _data = p;
        }

        _capacity = maxSegments;
    }

    /// <summary>Creates a slot over <paramref name="storage"/>, room for <paramref name="maxSegments"/> segments that the caller keeps alive as long as the request.</summary>
    public BlkRequest(IoSegment* storage, int maxSegments)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _data = storage;
        _capacity = maxSegments;
    }

    /// <summary>VIRTIO_BLK_T_*.</summary>
    public uint Type { get; private set; }

    /// <summary>First 512-byte sector.</summary>
    public ulong Sector { get; private set; }

    /// <summary>Data segments (readable for OUT, DISCARD, WRITE_ZEROES; writable for IN and GET_ID).</summary>
    public Span<IoSegment> Data => new(_data, _capacity);

    /// <summary>Valid entries in <see cref="Data"/>.</summary>
    public int DataCount { get; private set; }

    /// <summary>Data bytes.</summary>
    public ulong DataBytes { get; private set; }

    /// <summary>The status byte (last writable byte of the chain), or null when the chain has none.</summary>
    public byte* Status { get; private set; }

    /// <summary>Why parsing failed, for counters and tests; null when the request is well formed.</summary>
    public string? Problem { get; private set; }

    /// <summary>The data segments as a span.</summary>
    public ReadOnlySpan<IoSegment> DataSegments => new(_data, DataCount);

    /// <summary>
    /// Parses <paramref name="chain"/>. Returns true when the request can be executed; otherwise
    /// <see cref="Problem"/> says why and the caller completes it with IOERR (if <see cref="Status"/> exists).
    /// </summary>
    public bool Parse(DescriptorChain chain)
    {
        Type = uint.MaxValue;
        Sector = 0;
        DataCount = 0;
        DataBytes = 0;
        Problem = null;
        ReadOnlySpan<IoSegment> readable = chain.Readable[..chain.ReadableCount];
        ReadOnlySpan<IoSegment> writable = chain.Writable[..chain.WritableCount];

        // Even a broken chain gets its status if it reached a writable byte: the driver then sees IOERR.
        Status = chain.WritableBytes == 0 ? null : SegmentCopy.At(writable, chain.WritableBytes - 1);
        if (chain.Error != ChainError.None)
        {
            return Fail(ChainProblem(chain.Error));
        }

        if (Status == null)
        {
            return Fail("no device-writable byte for the status");
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        if (!SegmentCopy.Gather(readable, 0, header))
        {
            return Fail("device-readable part shorter than the 16-byte request header");
        }

        Type = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header);
        Sector = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(8));
        switch (Type)
        {
            case VirtioBlk.VIRTIO_BLK_T_OUT:
            case VirtioBlk.VIRTIO_BLK_T_DISCARD:
            case VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES:
                return TakeData(readable, HeaderBytes, chain.ReadableBytes - HeaderBytes);
            case VirtioBlk.VIRTIO_BLK_T_IN:
            case VirtioBlk.VIRTIO_BLK_T_GET_ID:
                return TakeData(writable, 0, chain.WritableBytes - 1);
            default:
                return true;
        }
    }

    private bool TakeData(ReadOnlySpan<IoSegment> from, ulong skip, ulong take)
    {
        int n = SegmentCopy.Slice(from, skip, take, Data);
        if (n < 0)
        {
            return Fail("data split into more segments than a request slot holds");
        }

        DataCount = n;
        DataBytes = take;
        return true;
    }

    private bool Fail(string problem)
    {
        Problem = problem;
        return false;
    }

    private static string ChainProblem(ChainError error) => error switch
    {
        ChainError.IndexOutOfRange => "descriptor next index outside the table",
        ChainError.TooLong => "descriptor chain longer than the queue (a loop?)",
        ChainError.ZeroLength => "zero-length descriptor",
        ChainError.ReadableAfterWritable => "device-readable descriptor after a device-writable one",
        ChainError.UnmappedAddress => "buffer address not mapped for this access",
        ChainError.IndirectNotNegotiated => "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC",
        ChainError.TooManySegments => "chain split into more segments than a request slot holds",
        _ => "malformed descriptor chain",
    };
}
