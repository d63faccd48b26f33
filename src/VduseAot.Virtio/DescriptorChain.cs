using System;

namespace VduseAot.Virtio;

/// <summary>
/// One popped descriptor chain, translated to host segments: device-readable ones first, then
/// device-writable ones, as the spec requires. Instances are allocated once per request slot at
/// start-up and refilled by every pop, so the hot path allocates nothing.
/// </summary>
public sealed unsafe class DescriptorChain
{
    // Set when the chain owns its segments: keeps the pinned array (and so the pointers) alive.
    private readonly IoSegment[]? _owned;
    private readonly IoSegment* _readable;
    private readonly IoSegment* _writable;
    private readonly int _capacity;

    /// <summary>Creates a chain slot that can hold up to <paramref name="maxSegments"/> segments per direction, in memory of its own.</summary>
    public DescriptorChain(int maxSegments)
    {
        _owned = GC.AllocateArray<IoSegment>(2 * maxSegments, pinned: true);
        fixed (IoSegment* p = _owned)
        {
            _readable = p;
        }

        _writable = _readable + maxSegments;
        _capacity = maxSegments;
    }

    /// <summary>
    /// Creates a chain slot over <paramref name="storage"/>, room for 2 * <paramref name="maxSegments"/>
    /// segments that the caller keeps alive as long as the chain: a request queue puts every slot's
    /// segments in one mapping whose pages only cost memory once a request touches them.
    /// </summary>
    public DescriptorChain(IoSegment* storage, int maxSegments)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _readable = storage;
        _writable = storage + maxSegments;
        _capacity = maxSegments;
    }

    /// <summary>Bytes of storage a chain of <paramref name="maxSegments"/> segments per direction needs.</summary>
    public static int StorageBytes(int maxSegments) => 2 * maxSegments * sizeof(IoSegment);

    /// <summary>The id the used ring reports: the head index (split) or the buffer id (packed).</summary>
    public ushort Head { get; internal set; }

    /// <summary>Descriptor-ring slots the chain occupies (packed rings advance the used index by this).</summary>
    public ushort RingSlots { get; internal set; }

    /// <summary>None, or the first mistake found while walking.</summary>
    public ChainError Error { get; internal set; }

    /// <summary>Descriptors walked.</summary>
    public int DescriptorCount { get; internal set; }

    /// <summary>Device-readable segments; the first <see cref="ReadableCount"/> are valid.</summary>
    public Span<IoSegment> Readable => new(_readable, _capacity);

    /// <summary>Valid entries in <see cref="Readable"/>.</summary>
    public int ReadableCount { get; internal set; }

    /// <summary>Sum of the readable lengths.</summary>
    public ulong ReadableBytes { get; internal set; }

    /// <summary>Device-writable segments; the first <see cref="WritableCount"/> are valid (also after an error: what was walked).</summary>
    public Span<IoSegment> Writable => new(_writable, _capacity);

    /// <summary>Valid entries in <see cref="Writable"/>.</summary>
    public int WritableCount { get; internal set; }

    /// <summary>Sum of the writable lengths.</summary>
    public ulong WritableBytes { get; internal set; }

    internal void Reset(ushort head)
    {
        Head = head;
        RingSlots = 1;
        Error = ChainError.None;
        DescriptorCount = 0;
        ReadableCount = 0;
        ReadableBytes = 0;
        WritableCount = 0;
        WritableBytes = 0;
    }

    /// <summary>
    /// Appends one descriptor's buffer after the checks both ring layouts share: no zero length, no
    /// device-readable buffer after a device-writable one (spec 2.7.4.2, 2.8.4). The flags are the
    /// virtio descriptor flags; only WRITE is looked at.
    /// </summary>
    internal ChainError AppendDescriptor<TMem>(ref TMem memory, ulong iova, uint length, ushort flags)
        where TMem : struct, IGuestMemory
    {
        if (length == 0)
        {
            return ChainError.ZeroLength;
        }

        bool write = (flags & Interop.VirtioConstants.VRING_DESC_F_WRITE) != 0;
        if (WritableCount > 0 && !write)
        {
            return ChainError.ReadableAfterWritable;
        }

        return Append(ref memory, iova, length, write);
    }

    /// <summary>Appends [iova, iova+len) translated through <paramref name="memory"/>, split at region ends.</summary>
    internal ChainError Append<TMem>(ref TMem memory, ulong iova, uint length, bool write)
        where TMem : struct, IGuestMemory
    {
        IoSegment* target = write ? _writable : _readable;
        int count = write ? WritableCount : ReadableCount;
        uint left = length;
        while (left > 0)
        {
            if (count == _capacity)
            {
                return ChainError.TooManySegments;
            }

            byte* host = memory.Translate(iova, left, write, out uint contiguous);
            if (host == null || contiguous == 0)
            {
                return ChainError.UnmappedAddress;
            }

            target[count++] = new IoSegment(host, contiguous);
            iova += contiguous;
            left -= contiguous;
        }

        if (write)
        {
            WritableCount = count;
            WritableBytes += length;
        }
        else
        {
            ReadableCount = count;
            ReadableBytes += length;
        }

        return ChainError.None;
    }
}
