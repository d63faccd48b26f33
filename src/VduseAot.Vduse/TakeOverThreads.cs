using System;

namespace VduseAot.Vduse;

/// <summary>
/// The queue threads of a takeover, started as soon as the options say there is a device to take
/// over: before its state file is read, its backend opened or the device itself opened, none of
/// which they need. Starting a thread is slow where the guest keeps the CPUs busy (its clone, its
/// stack, its io_uring), and the guest's I/O waits for these.
/// </summary>
public sealed class TakeOverThreads : IDisposable
{
    private readonly ushort _queues;
    private readonly ushort _queueSize;
    private PreparedQueues? _prepared;

    private TakeOverThreads(PreparedQueues prepared, ushort queues, ushort queueSize)
    {
        _prepared = prepared;
        _queues = queues;
        _queueSize = queueSize;
    }

    /// <summary>Starts <paramref name="queues"/> threads for queues of <paramref name="queueSize"/> entries of <paramref name="device"/>.</summary>
    public static TakeOverThreads Start(string device, ushort queues, ushort queueSize, DataPlaneOptions dataPlane) =>
        new(new PreparedQueues(device, queues, queueSize, dataPlane), queues, queueSize);

    /// <summary>The threads, once, if they were made for this shape of device; null otherwise (they end).</summary>
    internal PreparedQueues? Take(ushort queues, ushort queueSize)
    {
        PreparedQueues? prepared = _prepared;
        _prepared = null;
        if (prepared != null && (queues != _queues || queueSize != _queueSize))
        {
            prepared.Dispose();
            return null;
        }

        return prepared;
    }

    /// <summary>Ends the threads nobody took.</summary>
    public void Dispose()
    {
        _prepared?.Dispose();
        _prepared = null;
    }
}
