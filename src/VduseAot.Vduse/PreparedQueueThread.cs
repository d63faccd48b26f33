using System;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Block;
using VduseAot.Uring;

namespace VduseAot.Vduse;

/// <summary>
/// A queue thread started before its queue is known: named, pinned and holding its io_uring
/// (SINGLE_ISSUER binds a ring to the thread that created it, so the ring needs its thread first).
/// A takeover prepares one per queue before it has the device, which takes the thread start and
/// the ring set-up out of the time the guest waits; the queue's worker then runs on it. The thread
/// is a <see cref="DetachedThread"/>: its start does not wait for it to run.
/// </summary>
internal sealed class PreparedQueueThread
{
    private readonly ManualResetEventSlim _go = WaitEvent.Create();
    private readonly uint _entries;
    private readonly IoUringOptions _options;
    private readonly string _device;
    private Action<IoUring?, BlkSlotTable?>? _work;
    private readonly ushort _queueSize;

    private PreparedQueueThread(string device, uint index, int cpu, ushort queueSize, uint entries, IoUringOptions options, int stackBytes)
    {
        _queueSize = queueSize;
        _device = device;
        Index = index;
        Cpu = cpu;
        _entries = entries;
        _options = options;
        Thread = new DetachedThread(device, QueueWorker.ThreadName(index), Run, stackBytes);
    }

    /// <summary>The queue it was prepared for.</summary>
    public uint Index { get; }

    /// <summary>The CPU it is pinned to, or -1.</summary>
    public int Cpu { get; }

    /// <summary>The thread, started already: waiting for its work.</summary>
    public DetachedThread Thread { get; }

    /// <summary>Set once the thread has its ring (or failed to make one) and waits.</summary>
    public ManualResetEventSlim Ready { get; } = WaitEvent.Create();

    /// <summary>
    /// Starts a thread for queue <paramref name="index"/> of <paramref name="device"/> that makes a
    /// ring of <paramref name="entries"/> and the request slots of a queue of <paramref name="queueSize"/>, and waits.
    /// </summary>
    public static PreparedQueueThread Start(string device, uint index, int cpu, ushort queueSize, uint entries, IoUringOptions options, int stackBytes)
    {
        var prepared = new PreparedQueueThread(device, index, cpu, queueSize, entries, options, stackBytes);
        prepared.Thread.Start();
        return prepared;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread with its ring (null when making it failed: the work
    /// makes its own and reports why not) and its slots (for the queue size the device was made with:
    /// the work replaces them when the driver chose a smaller ring); the work owns both from then on.
    /// Once only.
    /// </summary>
    public void Run(Action<IoUring?, BlkSlotTable?> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _work = work;
        _go.Set(); // publishes _work to the thread
    }

    /// <summary>The thread is not needed: it releases its ring and ends.</summary>
    public void Discard() => _go.Set();

    private void Run()
    {
        QueueWorker.PinCurrentThread(_device, Index, Cpu);
        IoUring? uring = null;
        try
        {
            uring = new IoUring(_entries, _options);
        }
        catch (IoUringException)
        {
            // the work makes its own ring, and says why that fails
        }

        var slots = new BlkSlotTable(_queueSize);

        Ready.Set();

        _go.Wait();
        _go.Dispose();
        if (_work is { } work)
        {
            work(uring, slots);
        }
        else
        {
            slots.Dispose();
            uring?.Dispose();
        }
    }
}
