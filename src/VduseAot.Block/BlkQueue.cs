using System;
using VduseAot.Interop;
using VduseAot.Uring;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// One virtio-blk request queue: pops chains from a ring into request slots, parses, checks
/// and starts them; requests the backend finishes at once complete immediately, the rest complete
/// when their io_uring completion is passed to <see cref="OnCompletion"/>, in any order. Owned by one
/// thread; allocates only in its constructor.
/// </summary>
public sealed unsafe class BlkQueue<TMem> : IDisposable, IRequestFinisher
    where TMem : struct, IGuestMemory
{
    private readonly BlkExecutor _executor;
    private readonly IBlockQueueIo _io;
    private readonly IConnectionQueueIo? _connection;
    private readonly int _maxSegments;
    private readonly BlkSlotTable _table;
    private readonly BlkSlot[] _slots;
    private readonly ushort[] _free;
    private int _freeCount;

    /// <summary>
    /// Creates a queue over <paramref name="ring"/> (either layout); <paramref name="uring"/> is the
    /// thread's io_uring (null: synchronous backends only). <paramref name="slots"/>: a table made
    /// ahead, which the queue owns from here on (one made for another ring size is replaced).
    /// </summary>
    public BlkQueue(DeviceQueue<TMem> ring, BlkExecutor executor, IoUring? uring = null, BlkSlotTable? slots = null)
    {
        ArgumentNullException.ThrowIfNull(ring);
        Queue = ring;
        _executor = executor;
        if (slots != null && slots.Size != ring.Size)
        {
            slots.Dispose();
            slots = null;
        }

        _table = slots ?? new BlkSlotTable(ring.Size);
        _io = executor.Backend.OpenQueue(uring);
        _slots = _table.Slots;
        _maxSegments = _table.MaxSegments;
        _free = new ushort[ring.Size];
        for (int i = 0; i < ring.Size; i++)
        {
            _free[i] = (ushort)(ring.Size - 1 - i);
        }

        _freeCount = ring.Size;
        _connection = _io as IConnectionQueueIo;
        _connection?.Attach(this);
    }

    /// <summary>The virtqueue, whatever its layout.</summary>
    public IDeviceQueue Queue { get; }

    /// <summary>Counters.</summary>
    public BlkQueueStats Stats { get; } = new();

    /// <summary>Requests started and not yet completed.</summary>
    public int InFlight => _slots.Length - _freeCount;

    /// <summary>
    /// Pops and starts up to <paramref name="budget"/> chains, then publishes every completion so far
    /// with one used-index store. Returns the number of chains popped.
    /// </summary>
    public int Process(int budget)
    {
        int popped = 0;
        while (popped < budget && _freeCount > 0)
        {
            BlkSlot slot = _slots[_free[_freeCount - 1]];
            if (!Queue.TryPop(slot.Chain))
            {
                break;
            }

            _freeCount--;
            popped++;
            Stats.Started++;

            // Stopwatch reads the vDSO clock: no syscall. One read here and one at completion is
            // the whole cost of the latency histogram.
            slot.StartTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            Start(slot);
        }

        _connection?.Flush();
        Queue.FlushUsed();
        return popped;
    }

    private void Start(BlkSlot slot)
    {
        // The used length of a request that fails before any transfer must not be the slot's last one.
        slot.Written = 0;
        if (!slot.Request.Parse(slot.Chain))
        {
            Stats.Malformed++;
            Finish(slot, VirtioBlk.VIRTIO_BLK_S_IOERR);
            return;
        }

        byte status = _executor.Start(slot, _io);
        if (status != BlkStatus.Pending)
        {
            Finish(slot, status);
        }
    }

    /// <summary>Handles an io_uring completion whose user_data came from <see cref="BlkQueueUserDataCodec"/>; the caller publishes.</summary>
    public void OnCompletion(ulong userData, int result)
    {
        if (_connection != null && BlkQueueUserDataCodec.IsConnection(userData))
        {
            _connection.OnConnectionCompletion(BlkQueueUserDataCodec.ConnectionTag(userData), result);
            return;
        }

        BlkSlot slot = _slots[BlkQueueUserDataCodec.Slot(userData)];
        byte status = _io.Complete(slot, BlkQueueUserDataCodec.Tag(userData), result);
        if (status != BlkStatus.Pending)
        {
            Finish(slot, status);
        }
    }

    /// <inheritdoc />
    int IRequestFinisher.SlotCount => _slots.Length;

    /// <inheritdoc />
    int IRequestFinisher.MaxSegments => _maxSegments;

    /// <inheritdoc />
    BlkSlot IRequestFinisher.Slot(ushort index) => _slots[index];

    /// <inheritdoc />
    void IRequestFinisher.Finish(ushort index, byte status) => Finish(_slots[index], status);

    private void Finish(BlkSlot slot, byte status)
    {
        BlkRequest request = slot.Request;
        Stats.Requests++;
        uint usedLength = 0;
        if (request.Status != null)
        {
            *request.Status = status;
            usedLength = slot.Written + 1;
            Count(request, status);
        }

        Queue.Complete(slot.Chain, usedLength);
        _free[_freeCount++] = slot.Index;
        Stats.Latency.Record(System.Diagnostics.Stopwatch.GetTimestamp() - slot.StartTicks);
    }

    private void Count(BlkRequest request, byte status)
    {
        if (status == VirtioBlk.VIRTIO_BLK_S_IOERR)
        {
            Stats.IoErrors++;
            return;
        }

        if (status == VirtioBlk.VIRTIO_BLK_S_UNSUPP)
        {
            Stats.Unsupported++;
            return;
        }

        switch (request.Type)
        {
            case VirtioBlk.VIRTIO_BLK_T_IN:
                Stats.Reads++;
                Stats.BytesRead += request.DataBytes;
                break;
            case VirtioBlk.VIRTIO_BLK_T_OUT:
                Stats.Writes++;
                Stats.BytesWritten += request.DataBytes;
                break;
            case VirtioBlk.VIRTIO_BLK_T_FLUSH:
                Stats.Flushes++;
                break;
            case VirtioBlk.VIRTIO_BLK_T_DISCARD:
            case VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES:
                Stats.Zeroings++;
                break;
            case VirtioBlk.VIRTIO_BLK_T_GET_ID:
                Stats.GetIds++;
                break;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _io.Dispose();
        _table.Dispose();
    }
}
