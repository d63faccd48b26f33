using VduseAot.Block;

namespace VduseAot.Vduse;

/// <content>
/// Counters for the admin socket, read on its thread while the queues run. Queue threads write
/// their own counters without locks; the lock here only keeps a queue run from being counted twice
/// (live and finished) or not at all while a reset retires it.
/// </content>
internal sealed partial class KernelMessageLoop
{
    private readonly object _statsGate = new();
    private BlkQueueStats[]? _finishedPerQueue;

    /// <summary>Folds a stopped worker's counters into the finished ones and forgets the worker.</summary>
    private void Retire(int queue, QueueWorker worker)
    {
        lock (_statsGate)
        {
            if (worker.Stats != null)
            {
                Finished.Add(worker.Stats);
                FinishedOf(queue).Add(worker.Stats);
            }

            _workers[queue] = null;
        }
    }

    private BlkQueueStats FinishedOf(int queue)
    {
        _finishedPerQueue ??= new BlkQueueStats[_queues];
        return _finishedPerQueue[queue] ??= new BlkQueueStats();
    }

    /// <summary>Per queue, everything since the device was created: ended runs plus the running one (a racy copy).</summary>
    public BlkQueueStats[] QueueStats()
    {
        var result = new BlkQueueStats[_queues];
        lock (_statsGate)
        {
            for (int i = 0; i < _queues; i++)
            {
                BlkQueueStats s = FinishedOf(i).Snapshot();
                BlkQueueStats? live = _workers[i]?.Stats;
                if (live != null)
                {
                    s.Add(live);
                }

                result[i] = s;
            }
        }

        return result;
    }
}
