using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network;

/// <summary>
/// The thread that opens and negotiates the queue threads' connections, so that a server that is down
/// or slow never blocks a queue: the queue keeps taking requests (queued, or failed once they waited
/// longer than the reconnect timeout) while this thread retries with back-off (100 ms doubling to
/// 5 s). The protocol says how one connection is made (<see cref="Connect"/>) and what else this
/// thread does between attempts (<see cref="Housekeep"/>: NVMe/TCP's Keep Alive).
/// </summary>
internal abstract class Connector : IDisposable
{
    private const long NoDeadline = long.MaxValue;
    private static readonly long FirstBackoff = Stopwatch.Frequency / 10;
    private static readonly long LastBackoff = Stopwatch.Frequency * 5;

    private readonly List<ConnectionDial> _dials = new();
    private readonly OwnedFd _wake;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _association = 1;
    private long _reconnects;

    protected Connector(string threadName, Action<string> log)
    {
        Log = log;
        _wake = WakeSignal.OpenEventFd();
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
    }

    /// <summary>Where the connector's lines go.</summary>
    protected Action<string> Log { get; }

    /// <summary>
    /// The connections made since the last reset of the association: a queue whose socket belongs to
    /// an older one drops it. Only protocols with a session above the connections (NVMe/TCP's
    /// controller) ever reset it.
    /// </summary>
    public long Association => Interlocked.Read(ref _association);

    /// <summary>Connections made after the first one of each queue.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Starts the thread (once the derived connector is constructed).</summary>
    protected void Start() => _thread.Start();

    /// <summary>A mailbox for connection <paramref name="name"/> of queue <paramref name="number"/>; the connector serves it from now on.</summary>
    public ConnectionDial Register(string name, int number)
    {
        var dial = new ConnectionDial(name, number);
        lock (_dials)
        {
            _dials.Add(dial);
        }

        return dial;
    }

    /// <summary>
    /// Forgets <paramref name="dial"/> (its connection is gone for good). The connector thread closes
    /// it, so an attempt it is making for the dial never publishes into a closed eventfd.
    /// </summary>
    public void Unregister(ConnectionDial dial)
    {
        dial.Retire();
        WakeUp();
    }

    /// <summary>Queue thread: asks for a connection on <paramref name="dial"/> and wakes the connector.</summary>
    public void Request(ConnectionDial dial)
    {
        dial.Request();
        WakeUp();
    }

    private unsafe void WakeUp()
    {
        ulong one = 1;
        _ = LibC.write(_wake.Value, &one, sizeof(ulong));
    }

    /// <summary>
    /// Connector thread: makes one negotiated connection for <paramref name="dial"/> (setting
    /// <see cref="ConnectionDial.Changed"/> and <see cref="ConnectionDial.Session"/> as the protocol
    /// needs). Throws <see cref="NetworkException"/> with the server's words.
    /// </summary>
    protected abstract OwnedFd Connect(ConnectionDial dial);

    /// <summary>Connector thread, every wake-up: the protocol's periodic work; returns the Stopwatch time it is next due (long.MaxValue: never).</summary>
    protected virtual long Housekeep(long now) => NoDeadline;

    /// <summary>
    /// Connector thread: every connection made so far is of a past association; each queue is woken
    /// to drop its socket and ask again.
    /// </summary>
    protected void ResetAssociation()
    {
        Interlocked.Increment(ref _association);
        foreach (ConnectionDial dial in Snapshot())
        {
            if (!dial.Retired)
            {
                dial.Wake();
            }
        }
    }

    private ConnectionDial[] Snapshot()
    {
        lock (_dials)
        {
            return _dials.ToArray();
        }
    }

    /// <summary>Connector thread: drops and closes the retired dials.</summary>
    private void CloseRetired()
    {
        List<ConnectionDial>? retired = null;
        lock (_dials)
        {
            for (int i = _dials.Count - 1; i >= 0; i--)
            {
                if (_dials[i].Retired)
                {
                    (retired ??= new()).Add(_dials[i]);
                    _dials.RemoveAt(i);
                }
            }
        }

        retired?.ForEach(d => d.Dispose());
    }

    private unsafe void Run()
    {
        while (!_stop)
        {
            CloseRetired();
            long wait = Housekeep(Stopwatch.GetTimestamp());
            wait = wait == NoDeadline ? NoDeadline : wait - Stopwatch.GetTimestamp();
            foreach (ConnectionDial dial in Snapshot())
            {
                if (!dial.Wanted || dial.Retired)
                {
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                if (now < dial.NextAttempt)
                {
                    wait = Math.Min(wait, dial.NextAttempt - now);
                    continue;
                }

                Attempt(dial);
                if (dial.Wanted)
                {
                    wait = Math.Min(wait, dial.NextAttempt - Stopwatch.GetTimestamp());
                }
            }

            int timeoutMs = wait == NoDeadline ? -1 : (int)Math.Clamp(wait * 1000 / Stopwatch.Frequency, 0, int.MaxValue);
            pollfd p = new() { fd = _wake.Value, events = LibC.POLLIN };
            if (Sys.poll(&p, 1, timeoutMs) > 0)
            {
                ulong counter;
                _ = LibC.read(_wake.Value, &counter, sizeof(ulong));
            }
        }
    }

    private void Attempt(ConnectionDial dial)
    {
        try
        {
            OwnedFd socket = Connect(dial);
            if (dial.LastError != null || dial.Failures > 0)
            {
                Log(dial.Name + " reconnected to " + Peer + " after " + dial.Failures + " failed attempt(s)");
            }

            dial.Failures = 0;
            dial.LastError = null;
            if (dial.Connections++ > 0)
            {
                Interlocked.Increment(ref _reconnects);
            }

            dial.Publish(socket.Release(), Association);
        }
        catch (NetworkException e)
        {
            if (dial.Failures == 0)
            {
                Log(dial.Name + ": " + e.Message + "; retrying");
            }

            dial.LastError = e.Message;
            dial.Failures++;
            long backoff = Math.Min(FirstBackoff << Math.Min(dial.Failures - 1, 16), LastBackoff);
            dial.NextAttempt = Stopwatch.GetTimestamp() + backoff;
        }
    }

    /// <summary>The server, for messages.</summary>
    protected abstract string Peer { get; }

    /// <summary>Stops the thread and closes every mailbox.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the thread and closes every mailbox; then the protocol's own sockets.</summary>
    protected virtual void Dispose(bool disposing)
    {
        _stop = true;
        WakeUp();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        lock (_dials)
        {
            foreach (ConnectionDial dial in _dials)
            {
                dial.Dispose();
            }

            _dials.Clear();
        }

        _wake.Dispose();
    }
}
