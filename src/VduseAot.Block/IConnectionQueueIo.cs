namespace VduseAot.Block;

/// <summary>
/// A queue's I/O path whose completions are not one request's each: a network connection, where one
/// receive carries the replies of several requests and one send the commands of several. The queue
/// attaches itself as the <see cref="IRequestFinisher"/> once, and passes every completion whose
/// user_data is a connection one (<see cref="BlkQueueUserDataCodec.IsConnection"/>) here.
/// </summary>
public interface IConnectionQueueIo : IBlockQueueIo
{
    /// <summary>Called once by the owning queue before any request starts.</summary>
    void Attach(IRequestFinisher finisher);

    /// <summary>Handles the completion of connection operation <paramref name="tag"/> with cqe res <paramref name="result"/>.</summary>
    void OnConnectionCompletion(uint tag, int result);

    /// <summary>Called once per pass of the queue thread after the completions: submits what the pass queued.</summary>
    void Flush();
}

/// <summary>The queue side of <see cref="IConnectionQueueIo"/>: ends a request that was answered.</summary>
public interface IRequestFinisher
{
    /// <summary>Slots of the queue (its ring size): indexes run from 0 to this minus one.</summary>
    int SlotCount { get; }

    /// <summary>Most data segments one slot's request can have.</summary>
    int MaxSegments { get; }

    /// <summary>The slot at <paramref name="index"/> (valid while its request is in flight).</summary>
    BlkSlot Slot(ushort index);

    /// <summary>Completes the request of slot <paramref name="index"/> with VIRTIO_BLK_S_* <paramref name="status"/>.</summary>
    void Finish(ushort index, byte status);
}
