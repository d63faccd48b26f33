using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network.Nbd;

/// <summary>
/// The thread that opens and negotiates NBD connections for the queue threads, so that a server that
/// is down or slow never blocks a queue: the queue keeps taking requests (queued, or failed once they
/// waited longer than the reconnect timeout) while this thread retries with back-off (100 ms doubling
/// to 5 s). It checks that the export is the one the device was created for.
/// </summary>
internal sealed class NbdConnector : IDisposable
{
    private const int ConnectTimeoutMs = 5000;
    private static readonly long FirstBackoff = Stopwatch.Frequency / 10;
    private static readonly long LastBackoff = Stopwatch.Frequency * 5;

    private readonly NbdUri _uri;
    private readonly NbdExport _expected;
    private readonly Action<string> _log;
    private readonly List<NbdDial> _dials = new();
    private readonly OwnedFd _wake;
    private readonly Thread _thread;
    private volatile bool _stop;

    public NbdConnector(NbdUri uri, NbdExport expected, Action<string> log)
    {
        _uri = uri;
        _expected = expected;
        _log = log;
        _wake = WakeSignal.OpenEventFd();
        _thread = new Thread(Run) { IsBackground = true, Name = "nbd-connect" };
        _thread.Start();
    }

    private long _reconnects;

    /// <summary>Connections made after the first one of each queue.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>A mailbox for connection <paramref name="name"/>; the connector serves it from now on.</summary>
    public NbdDial Register(string name)
    {
        var dial = new NbdDial(name);
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
    public unsafe void Unregister(NbdDial dial)
    {
        dial.Retire();
        ulong one = 1;
        _ = LibC.write(_wake.Value, &one, sizeof(ulong));
    }

    /// <summary>Connector thread: drops and closes the retired dials.</summary>
    private void CloseRetired()
    {
        List<NbdDial>? retired = null;
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

    /// <summary>Queue thread: asks for a connection on <paramref name="dial"/> and wakes the connector.</summary>
    public unsafe void Request(NbdDial dial)
    {
        dial.Request();
        ulong one = 1;
        _ = LibC.write(_wake.Value, &one, sizeof(ulong));
    }

    /// <summary>
    /// Connects and negotiates once (start-up, and each attempt of this thread). Throws
    /// <see cref="NetworkException"/> with the server's words.
    /// </summary>
    public static (OwnedFd Socket, NbdExport Export) Open(NbdUri uri, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(uri);
        OwnedFd fd = SocketConnect.Connect(uri.Endpoint, timeoutMs);
        try
        {
            NbdExport export = NbdHandshake.Negotiate(new BlockingSocket(fd.Value, uri.Endpoint.ToString()), uri.Export, uri.Endpoint.ToString());
            SocketConnect.SetTimeouts(fd.Value, 0);
            return (fd, export);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private unsafe void Run()
    {
        while (!_stop)
        {
            CloseRetired();
            long now = Stopwatch.GetTimestamp();
            long wait = long.MaxValue;
            NbdDial[] dials;
            lock (_dials)
            {
                dials = _dials.ToArray();
            }

            foreach (NbdDial dial in dials)
            {
                if (!dial.Wanted || dial.Retired)
                {
                    continue;
                }

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

            int timeoutMs = wait == long.MaxValue ? -1 : (int)Math.Clamp(wait * 1000 / Stopwatch.Frequency, 0, int.MaxValue);
            pollfd p = new() { fd = _wake.Value, events = LibC.POLLIN };
            if (Sys.poll(&p, 1, timeoutMs) > 0)
            {
                ulong counter;
                _ = LibC.read(_wake.Value, &counter, sizeof(ulong));
            }
        }
    }

    private void Attempt(NbdDial dial)
    {
        try
        {
            (OwnedFd socket, NbdExport export) = Open(_uri, ConnectTimeoutMs);
            dial.Changed = _expected.Difference(export);
            if (dial.LastError != null || dial.Failures > 0)
            {
                _log(dial.Name + " reconnected to " + _uri.Endpoint + " after " + dial.Failures + " failed attempt(s)");
            }

            dial.Failures = 0;
            dial.LastError = null;
            if (dial.Connections++ > 0)
            {
                Interlocked.Increment(ref _reconnects);
            }

            dial.Publish(socket.Release());
        }
        catch (NetworkException e)
        {
            if (dial.Failures == 0)
            {
                _log(dial.Name + ": " + e.Message + "; retrying");
            }

            dial.LastError = e.Message;
            dial.Failures++;
            long backoff = Math.Min(FirstBackoff << Math.Min(dial.Failures - 1, 16), LastBackoff);
            dial.NextAttempt = Stopwatch.GetTimestamp() + backoff;
        }
    }

    public unsafe void Dispose()
    {
        _stop = true;
        ulong one = 1;
        _ = LibC.write(_wake.Value, &one, sizeof(ulong));
        _thread.Join();
        lock (_dials)
        {
            foreach (NbdDial dial in _dials)
            {
                dial.Dispose();
            }

            _dials.Clear();
        }

        _wake.Dispose();
    }
}
