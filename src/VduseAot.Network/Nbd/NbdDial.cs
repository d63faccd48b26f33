using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network.Nbd;

/// <summary>
/// One queue's mailbox with the connector thread, lock-free: the queue thread asks for a connection
/// (<see cref="Request"/>), the connector publishes a negotiated socket in <see cref="TakeReady"/>'s
/// field and signals <see cref="Event"/>, which the queue thread polls through its io_uring.
/// </summary>
internal sealed unsafe class NbdDial : System.IDisposable
{
    private int _wanted;
    private int _readyFd = -1;

    public NbdDial(string name)
    {
        Name = name;
        Event = WakeSignal.OpenEventFd();
    }

    /// <summary>The connection this mailbox serves, for messages ("queue 1", "shared connection").</summary>
    public string Name { get; }

    /// <summary>Signalled by the connector when a connection is ready.</summary>
    public OwnedFd Event { get; }

    /// <summary>What the last failed attempt said (read racily for stats and logs).</summary>
    public string? LastError { get; set; }

    /// <summary>Set by the connector with the socket it publishes: the reason the device cannot follow a changed export.</summary>
    public string? Changed { get; set; }

    /// <summary>Connections the connector made for this queue.</summary>
    public int Connections { get; set; }

    /// <summary>Failed attempts since the last success (the connector's back-off).</summary>
    public int Failures { get; set; }

    /// <summary>Stopwatch time of the next attempt (the connector's back-off).</summary>
    public long NextAttempt { get; set; }

    /// <summary>True while the queue waits for a connection.</summary>
    public bool Wanted => Volatile.Read(ref _wanted) != 0;

    private volatile bool _retired;

    /// <summary>True once its connection is gone for good: the connector closes it.</summary>
    public bool Retired => _retired;

    /// <summary>Queue thread, at its end: the connector may close this mailbox.</summary>
    public void Retire() => _retired = true;

    /// <summary>Queue thread: asks for a connection.</summary>
    public void Request() => Volatile.Write(ref _wanted, 1);

    /// <summary>Connector: hands over <paramref name="fd"/> and wakes the queue thread.</summary>
    public void Publish(int fd)
    {
        // The descriptor first, then the flag: a queue thread that sees the event finds the descriptor.
        Volatile.Write(ref _readyFd, fd);
        Volatile.Write(ref _wanted, 0);
        ulong one = 1;
        _ = LibC.write(Event.Value, &one, sizeof(ulong));
    }

    /// <summary>Queue thread: takes the published socket (-1 if none) and clears the event.</summary>
    public int TakeReady()
    {
        ulong counter;
        _ = LibC.read(Event.Value, &counter, sizeof(ulong));
        return Interlocked.Exchange(ref _readyFd, -1);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _readyFd, -1);
        if (fd >= 0)
        {
            new OwnedFd(fd).Dispose();
        }

        Event.Dispose();
    }
}
