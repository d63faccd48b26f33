using VduseAot.Uring;

namespace VduseAot.Block;

/// <summary>A disk that reads zeroes and drops writes: the ceiling for benchmarks of the request path.</summary>
public sealed unsafe class NullBackend : IBlockBackend
{
    private ulong _capacity;

    /// <summary>A null disk of <paramref name="capacityBytes"/>.</summary>
    public NullBackend(ulong capacityBytes, bool readOnly)
    {
        _capacity = capacityBytes;
        ReadOnly = readOnly;
    }

    /// <inheritdoc />
    public ulong CapacityBytes => System.Threading.Volatile.Read(ref _capacity);

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public BlkBackendFeatures Features => BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes;

    /// <inheritdoc />
    public string Describe() => "null " + SizeText.Format(CapacityBytes);

    /// <inheritdoc />
    public void Resize(ulong capacityBytes) => System.Threading.Volatile.Write(ref _capacity, capacityBytes);

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring) => new Io();

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Io : SyncQueueIo
    {
        protected override void Load(ulong offset, byte* destination, uint length) =>
            BulkCopy.Zero(destination, length);

        protected override void Store(ulong offset, byte* source, uint length)
        {
        }

        protected override void Zero(ulong offset, ulong length)
        {
        }
    }
}
