using System;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Runs an action once every one of a known number of parties has arrived, on the thread of the
/// last to arrive: where a thread would otherwise wait for the others and then act, the act
/// happens without that thread's wake-up (10-20 ms in TCG under load).
/// </summary>
public sealed class LastArrival
{
    private int _pending;
    private Action? _action;

    /// <summary>For <paramref name="parties"/> arrivals (more may be added before the last one).</summary>
    public LastArrival(int parties)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parties);
        _pending = parties;
    }

    /// <summary>Set once the action has run (or thrown).</summary>
    public ManualResetEventSlim Done { get; } = WaitEvent.Create();

    /// <summary>One more party; only before the last arrival.</summary>
    public void Add() => Interlocked.Increment(ref _pending);

    /// <summary>What the last arrival runs; set before the last arrival can happen.</summary>
    public void SetAction(Action action) => Volatile.Write(ref _action, action);

    /// <summary>
    /// One party arrives; the last runs the action. Each decrement is a full fence: the last arrival
    /// sees what every other party wrote before arriving, the action included.
    /// </summary>
    public void Arrive()
    {
        if (Interlocked.Decrement(ref _pending) != 0)
        {
            return;
        }

        try
        {
            Volatile.Read(ref _action)?.Invoke();
        }
        finally
        {
            Done.Set();
        }
    }
}
