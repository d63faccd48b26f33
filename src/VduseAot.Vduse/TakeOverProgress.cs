using System;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The end of a takeover of a running device, with no thread waking another on the path the guest
/// waits for: each resumed queue reports from its own thread once its ring serves again, the main
/// thread hands in what to do then ("ready" on stdout) once its own start-up is done, and whichever
/// of the two comes last does it. In TCG, with the guest's I/O keeping every vCPU busy, the main
/// thread's wake-up after the last ring took 12-24 ms (p50) on its own.
/// </summary>
public sealed class TakeOverProgress
{
    private readonly string _device;

    // The queues not serving yet, plus one held by the starter until every worker is started.
    private readonly LastArrival _queues = new(1);

    // The queues (as one party) and the main thread's announcement.
    private readonly LastArrival _announcement = new(2);
    private long _runningAt;

    /// <summary>For device <paramref name="device"/> (its name, in the timeline).</summary>
    public TakeOverProgress(string device)
    {
        _device = device;
        _queues.SetAction(AllRunning);
    }

    /// <summary>Set once every resumed queue serves again (or gave up).</summary>
    public ManualResetEventSlim QueuesRunning { get; } = WaitEvent.Create();

    /// <summary>Set once the announcement has run.</summary>
    public ManualResetEventSlim Announced => _announcement.Done;

    /// <summary>After <see cref="QueuesRunning"/>: when the last queue served again (a Stopwatch timestamp; 0 when none did).</summary>
    public long QueuesRunningAt => Interlocked.Read(ref _runningAt);

    /// <summary>A worker is about to start: it reports <see cref="QueueRunning"/> once.</summary>
    public void AddQueue() => _queues.Add();

    /// <summary>Every worker is started (or the start failed part-way): the starter's hold ends.</summary>
    public void AllStarted() => _queues.Arrive();

    /// <summary>On a worker's thread: its ring serves since <paramref name="at"/> (0: it gave up).</summary>
    public void QueueRunning(long at)
    {
        long seen = Interlocked.Read(ref _runningAt);
        while (at > seen)
        {
            long was = Interlocked.CompareExchange(ref _runningAt, at, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }

        _queues.Arrive(); // the last report sees every other one's time
    }

    /// <summary>
    /// On the main thread, once it could say "ready": runs <paramref name="announce"/> now if every
    /// queue serves already, else leaves it to the last queue; returns once it ran (or after
    /// <paramref name="timeoutMs"/>).
    /// </summary>
    public void WhenRunning(Action announce, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(announce);
        _announcement.SetAction(announce);
        _announcement.Arrive();
        Announced.Wait(timeoutMs);
    }

    private void AllRunning()
    {
        StartupClock.Mark(_device, "every queue running again");

        // The announcement before the event: the event wakes the message thread, which then took
        // this CPU from the announcing queue thread (ready 3.6 ms after the last queue, p50, in TCG).
        _announcement.Arrive();
        QueuesRunning.Set();
    }
}
