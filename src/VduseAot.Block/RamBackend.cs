using System;
using System.Runtime.InteropServices;
using VduseAot.Uring;

namespace VduseAot.Block;

/// <summary>
/// A disk held in process memory. Zeroed allocation lets the C library take fresh pages from the
/// kernel lazily, so an unwritten RAM disk costs little until used. Queue threads share the memory:
/// the guest orders overlapping I/O itself, as it must for any disk.
/// </summary>
public sealed unsafe class RamBackend : IBlockBackend
{
    private byte* _data;

    /// <summary>Allocates a zeroed disk of <paramref name="capacityBytes"/>.</summary>
    public RamBackend(ulong capacityBytes, bool readOnly)
    {
        CapacityBytes = capacityBytes;
        ReadOnly = readOnly;
        _data = (byte*)NativeMemory.AllocZeroed((nuint)capacityBytes);
    }

    /// <inheritdoc />
    public ulong CapacityBytes { get; }

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public BlkBackendFeatures Features => BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes;

    /// <inheritdoc />
    public string Describe() => "ram " + SizeText.Format(CapacityBytes);

    /// <inheritdoc />
    public void Resize(ulong capacityBytes) =>
        throw new BackendException("resize is not supported for --ram yet (serve a --file on tmpfs to have a resizable disk in memory)");

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring) => new Io(this);

    /// <inheritdoc />
    public void Dispose()
    {
        NativeMemory.Free(_data);
        _data = null;
    }

    private sealed class Io(RamBackend owner) : SyncQueueIo
    {
        protected override void Load(ulong offset, byte* destination, uint length) =>
            Buffer.MemoryCopy(owner._data + offset, destination, length, length);

        protected override void Store(ulong offset, byte* source, uint length) =>
            Buffer.MemoryCopy(source, owner._data + offset, length, length);

        protected override void Zero(ulong offset, ulong length) =>
            NativeMemory.Clear(owner._data + offset, (nuint)length);
    }
}
