using System;
using System.Runtime.InteropServices;
using System.Threading;
using VduseAot.Uring;

namespace VduseAot.Block;

/// <summary>
/// A disk addressable as memory (<see cref="IMemoryImage"/>): reads and writes are copies on the
/// queue thread, with no system call and nothing pending. Queue threads share the image: the guest
/// orders overlapping I/O itself, as it must for any disk. Discards and zeroing give whole pages back
/// to the image's owner (holes in a tmpfs file) and clear only the partial pages at the edges.
/// </summary>
public sealed unsafe class RamBackend : IBlockBackend
{
    private const ulong Page = 4096;
    private readonly IMemoryImage _image;
    private readonly string _kind;

    /// <summary>Allocates a zeroed disk of <paramref name="capacityBytes"/> in process memory.</summary>
    public RamBackend(ulong capacityBytes, bool readOnly)
        : this(new NativeImage(capacityBytes), readOnly, "ram")
    {
    }

    /// <summary>Serves <paramref name="image"/> (disposed with the backend); <paramref name="kind"/> names it in <see cref="Describe"/>.</summary>
    public RamBackend(IMemoryImage image, bool readOnly, string kind)
    {
        ArgumentNullException.ThrowIfNull(image);
        _image = image;
        _kind = kind;
        CapacityBytes = image.Length;
        ReadOnly = readOnly;
    }

    /// <inheritdoc />
    public ulong CapacityBytes
    {
        get => Volatile.Read(ref _capacity);
        private set => Volatile.Write(ref _capacity, value);
    }

    private ulong _capacity;

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public BlkBackendFeatures Features => BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes;

    /// <inheritdoc />
    public string Describe() => _kind + " " + SizeText.Format(CapacityBytes) + " (" + _image.Describe() + ")";

    /// <inheritdoc />
    public void Resize(ulong capacityBytes)
    {
        // Growing maps more of the image in place (queue threads keep their pointers); the capacity
        // changes last, so no request is admitted into memory that is not mapped yet.
        string? error = _image.Resize(capacityBytes);
        if (error != null)
        {
            throw new BackendException("cannot resize " + _image.Describe() + ": " + error);
        }

        CapacityBytes = capacityBytes;
    }

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring) => new Io(this);

    /// <inheritdoc />
    public void Dispose() => _image.Dispose();

    private void Zero(ulong offset, ulong length)
    {
        byte* data = _image.Data;
        ulong first = (offset + Page - 1) & ~(Page - 1);
        ulong end = offset + length;
        ulong last = end & ~(Page - 1);
        if (last > first && _image.Release(first, last - first))
        {
            BulkCopy.Zero(data + offset, (nuint)(first - offset));
            BulkCopy.Zero(data + last, (nuint)(end - last));
            return;
        }

        BulkCopy.Zero(data + offset, (nuint)length);
    }

    private sealed class Io(RamBackend owner) : SyncQueueIo
    {
        protected override void Load(ulong offset, byte* destination, uint length) =>
            BulkCopy.Copy(owner._image.Data + offset, destination, length);

        protected override void Store(ulong offset, byte* source, uint length) =>
            BulkCopy.Copy(source, owner._image.Data + offset, length);

        protected override void Zero(ulong offset, ulong length) => owner.Zero(offset, length);
    }

    /// <summary>Zeroed process memory; cannot grow or give pages back.</summary>
    private sealed class NativeImage(ulong length) : IMemoryImage
    {
        private byte* _data = (byte*)NativeMemory.AllocZeroed((nuint)length);

        public byte* Data => _data;

        public ulong Length => length;

        public bool Release(ulong offset, ulong length) => false;

        public string? Resize(ulong newLength) => newLength <= length ? null : "a disk in process memory cannot grow";

        public string Describe() => "process memory";

        public void Dispose()
        {
            NativeMemory.Free(_data);
            _data = null;
        }
    }
}
