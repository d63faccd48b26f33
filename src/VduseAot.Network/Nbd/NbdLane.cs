using System.Threading;
using VduseAot.Block;

namespace VduseAot.Network.Nbd;

/// <summary>
/// What one queue thread and the shared connection's thread exchange: requests one way (slot index
/// and kind), completions the other (slot index and status), each in an SPSC ring sized for every
/// slot at once, and a wake-up for the queue thread. The lane's slots are the shared connection's
/// command numbers <see cref="Base"/> to <see cref="Base"/> + stride - 1.
/// </summary>
internal sealed class NbdLane : System.IDisposable
{
    private IRequestFinisher? _finisher;
    private int _claimed;

    public NbdLane(int stride, int firstCommand)
    {
        Requests = new SpscRing(stride);
        Completions = new SpscRing(stride);
        Base = firstCommand;
    }

    /// <summary>Queue thread to connection thread: <see cref="Request"/> entries.</summary>
    public SpscRing Requests { get; }

    /// <summary>Connection thread to queue thread: <see cref="Completion"/> entries.</summary>
    public SpscRing Completions { get; }

    /// <summary>Wakes the queue thread when completions were posted.</summary>
    public WakeSignal Completed { get; } = new();

    /// <summary>The shared connection's number for this lane's slot 0.</summary>
    public int Base { get; }

    /// <summary>Set by the connection thread when it posted completions it has not signalled yet.</summary>
    public bool Posted { get; set; }

    /// <summary>The queue whose slots these are (null while no queue runs on the lane).</summary>
    public IRequestFinisher? Finisher => Volatile.Read(ref _finisher);

    /// <summary>Takes the lane for a queue; false if another queue has it.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _claimed, 1, 0) == 0;

    /// <summary>
    /// Queue thread, before its first request: publishes the queue. Requests pushed later are seen
    /// after it (the ring's release store orders this store before them).
    /// </summary>
    public void Attach(IRequestFinisher finisher) => Volatile.Write(ref _finisher, finisher);

    /// <summary>Queue thread, once its queue has drained: the lane is free for the next queue.</summary>
    public void Release()
    {
        Volatile.Write(ref _finisher, null);
        Volatile.Write(ref _claimed, 0);
    }

    /// <summary>A request entry: slot <paramref name="slot"/>, what to do.</summary>
    public static uint Request(ushort slot, NbdLaneRequest kind) => slot | ((uint)kind << 16);

    /// <summary>A completion entry: slot <paramref name="slot"/> ended with VIRTIO_BLK_S_* <paramref name="status"/>.</summary>
    public static uint Completion(ushort slot, byte status) => slot | ((uint)status << 16);

    /// <summary>The slot of either entry.</summary>
    public static ushort SlotOf(uint entry) => (ushort)entry;

    /// <summary>The kind of a request entry.</summary>
    public static NbdLaneRequest KindOf(uint entry) => (NbdLaneRequest)(entry >> 16);

    /// <summary>The status of a completion entry.</summary>
    public static byte StatusOf(uint entry) => (byte)(entry >> 16);

    public void Dispose() => Completed.Dispose();
}

/// <summary>What a queue asks of the shared connection for one slot.</summary>
internal enum NbdLaneRequest : byte
{
    Read,
    Write,
    Flush,
    Discard,
    WriteZeroes,
}
