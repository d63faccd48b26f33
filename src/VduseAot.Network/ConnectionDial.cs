using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network;

/// <summary>
/// One queue's mailbox with the connector thread, lock-free: the queue thread asks for a connection
/// (<see cref="Request"/>), the connector publishes a negotiated socket in <see cref="TakeReady"/>'s
/// field and signals <see cref="Event"/>, which the queue thread polls through its io_uring. The
/// connector also signals it when the association the socket belongs to is reset.
/// </summary>
internal sealed unsafe class ConnectionDial : System.IDisposable
{
    private int _wanted;
    private int _readyFd = -1;
    private long _readyAssociation;

    public ConnectionDial(string name, int number)
    {
        Name = name;
        Number = number;
        Event = WakeSignal.OpenEventFd();
    }

    /// <summary>The connection this mailbox serves, for messages ("queue 1", "shared connection").</summary>
    public string Name { get; }

    /// <summary>The queue's number (0-based; NVMe/TCP's I/O queue id is one more).</summary>
    public int Number { get; }

    /// <summary>Connector thread: the association of the last socket published (0: none yet).</summary>
    public long PublishedAssociation { get; set; }

    /// <summary>Set by the connector with the socket it publishes: what the protocol agreed on this connection (null: nothing).</summary>
    public object? Session { get; set; }

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

    /// <summary>Connector: hands over <paramref name="fd"/>, made in <paramref name="association"/>, and wakes the queue thread.</summary>
    public void Publish(int fd, long association)
    {
        // The association and descriptor first, then the flag: a queue thread that sees the event
        // finds both (the exchange in TakeReady orders its read of the association after the fd).
        PublishedAssociation = association;
        Volatile.Write(ref _readyAssociation, association);
        Volatile.Write(ref _readyFd, fd);
        Volatile.Write(ref _wanted, 0);
        Wake();
    }

    /// <summary>Wakes the queue thread without a socket (its association was reset).</summary>
    public void Wake()
    {
        ulong one = 1;
        _ = LibC.write(Event.Value, &one, sizeof(ulong));
    }

    /// <summary>Queue thread: takes the published socket (-1 if none) and its association, and clears the event.</summary>
    public int TakeReady(out long association)
    {
        ulong counter;
        _ = LibC.read(Event.Value, &counter, sizeof(ulong));
        int fd = Interlocked.Exchange(ref _readyFd, -1);
        association = Volatile.Read(ref _readyAssociation);
        return fd;
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
