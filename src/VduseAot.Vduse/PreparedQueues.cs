using System;

namespace VduseAot.Vduse;

/// <summary>
/// One <see cref="PreparedQueueThread"/> per queue of a device about to be taken over; the queues
/// the driver runs take theirs, and disposing releases the threads nobody took.
/// </summary>
internal sealed class PreparedQueues : IDisposable
{
    private readonly PreparedQueueThread?[] _threads;

    /// <summary>Starts the threads for <paramref name="queues"/> queues of up to <paramref name="queueSize"/> entries.</summary>
    public PreparedQueues(string device, ushort queues, ushort queueSize, DataPlaneOptions dataPlane)
    {
        ArgumentNullException.ThrowIfNull(dataPlane);
        _threads = new PreparedQueueThread?[queues];
        uint entries = QueueWorker.UringEntries(queueSize);
        for (uint i = 0; i < queues; i++)
        {
            _threads[i] = PreparedQueueThread.Start(device, i, dataPlane.CpuFor(i), queueSize, entries, dataPlane.RingOptions(), QueueWorker.StackBytes);
        }
    }

    /// <summary>
    /// Waits until every thread has its ring, so that their set-up does not compete for the CPU
    /// with the steps the guest waits for.
    /// </summary>
    public void WaitReady(int timeoutMs)
    {
        foreach (PreparedQueueThread? t in _threads)
        {
            t?.Ready.Wait(timeoutMs);
        }
    }

    /// <summary>Queue <paramref name="index"/>'s thread, once (null after, or past the last queue).</summary>
    public PreparedQueueThread? Take(uint index)
    {
        if (index >= _threads.Length)
        {
            return null;
        }

        PreparedQueueThread? thread = _threads[index];
        _threads[index] = null;
        return thread;
    }

    /// <summary>Ends the threads not taken.</summary>
    public void Dispose()
    {
        for (uint i = 0; i < _threads.Length; i++)
        {
            Take(i)?.Discard();
        }
    }
}
