using System;
using System.Diagnostics;
using VduseAot.Interop;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// Makes the I/O queue connections of the queue threads (see <see cref="Connector"/>) and owns the
/// association they belong to: the admin queue, kept alive within KATO from this thread, never from a
/// queue's hot path. A lost I/O connection, a failed Keep Alive or a fatal controller status ends the
/// association: the admin queue is closed, every queue drops its connection, and the next connection
/// brings up a new controller (admin Connect, enable, Identify) before its own Connect.
/// </summary>
internal sealed class NvmeTcpConnector : Connector
{
    private const int ConnectTimeoutMs = 5000;

    private readonly NvmeTcpOptions _options;
    private readonly NvmeTcpTarget _expected;
    private readonly int _ioQueues;
    private readonly ushort _entries;
    private readonly long _keepAliveTicks;
    private OwnedFd? _admin;
    private NvmeTcpExchange? _exchange;
    private NvmeTcpTarget _target;
    private string? _changed;
    private bool _madeOnCurrent;
    private long _nextKeepAlive;

    /// <summary>
    /// Takes over the admin connection <paramref name="admin"/> (with <paramref name="exchange"/>) that
    /// start-up opened to <paramref name="target"/>; I/O queues are connected with <paramref name="entries"/> entries.
    /// </summary>
    public NvmeTcpConnector(NvmeTcpOptions options, NvmeTcpTarget target, OwnedFd admin, NvmeTcpExchange exchange, int ioQueues, ushort entries, Action<string> log)
        : base("nvme-connect", log)
    {
        _options = options;
        _expected = target;
        _target = target;
        _admin = admin;
        _exchange = exchange;
        _ioQueues = ioQueues;
        AnswerWithinKato(admin);
        _entries = entries;

        // A third of KATO, as the Linux host does without traffic-based keep alive: two can be lost.
        _keepAliveTicks = Math.Max(1, options.KeepAliveMs / 3) * Stopwatch.Frequency / 1000;
        _nextKeepAlive = Stopwatch.GetTimestamp() + _keepAliveTicks;
        Start();
    }

    /// <inheritdoc />
    protected override string Peer => _options.Endpoint.ToString();

    /// <summary>The controller's id in the current association (read by the connector only).</summary>
    public ushort ControllerId => _target.ControllerId;

    /// <inheritdoc />
    protected override OwnedFd Connect(ConnectionDial dial)
    {
        if (_admin != null && dial.PublishedAssociation == Association)
        {
            // This queue's connection of the current association is gone: so is the controller (Linux's
            // target ends it on any queue's error), and every queue reconnects to a new one.
            Log(dial.Name + " lost its connection: re-establishing the association with " + Peer);
            CloseAdmin();
        }

        if (_admin == null)
        {
            EndAssociation();
            OpenAdmin();
        }

        try
        {
            (OwnedFd fd, NvmeTcpExchange x) = NvmeTcpAdmin.OpenIoQueue(_options, _target, (ushort)(dial.Number + 1), _entries, ConnectTimeoutMs);
            dial.Session = new NvmeTcpLink(x.DataAlignment, x.MaxH2CData, _entries);
            dial.Changed = _changed;
            _madeOnCurrent = true;
            return fd;
        }
        catch (NetworkException)
        {
            CloseAdmin(); // the next attempt starts a new association
            throw;
        }
    }

    private void OpenAdmin()
    {
        (OwnedFd admin, NvmeTcpExchange exchange, NvmeTcpTarget target) = NvmeTcpAdmin.Open(_options, _ioQueues, ConnectTimeoutMs);
        _admin = admin;
        _exchange = exchange;
        _target = target;
        _changed = _expected.Difference(target);
        AnswerWithinKato(admin);
        _nextKeepAlive = Stopwatch.GetTimestamp() + _keepAliveTicks;
    }

    /// <summary>A Keep Alive not answered within KATO means the controller is gone: the admin socket's timeouts say so.</summary>
    private void AnswerWithinKato(OwnedFd admin) => SocketConnect.SetTimeouts(admin.Value, (int)Math.Min(ConnectTimeoutMs, _options.KeepAliveMs));

    /// <summary>Tells every queue connected in the current association to drop it (once per association).</summary>
    private void EndAssociation()
    {
        if (_madeOnCurrent)
        {
            _madeOnCurrent = false;
            ResetAssociation();
        }
    }

    /// <inheritdoc />
    protected override long Housekeep(long now)
    {
        if (_admin == null || _exchange == null)
        {
            return long.MaxValue;
        }

        if (now < _nextKeepAlive)
        {
            return _nextKeepAlive;
        }

        try
        {
            NvmeTcpAdmin.KeepAlive(_exchange);
        }
        catch (NetworkException e)
        {
            Log("Keep Alive to " + Peer + " failed (" + e.Message + "): re-establishing the association");
            CloseAdmin();
            EndAssociation();
            return long.MaxValue;
        }

        _nextKeepAlive = Stopwatch.GetTimestamp() + _keepAliveTicks;
        return _nextKeepAlive;
    }

    private void CloseAdmin()
    {
        _admin?.Dispose();
        _admin = null;
        _exchange = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        CloseAdmin();
    }
}
