using System;
using System.Diagnostics;
using System.Threading;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Network.Nbd;

/// <summary>
/// A disk whose bytes live on an NBD server. Opening connects once to learn the export (size, flags,
/// block sizes) and to fail early with the server's own words; each queue thread then gets its own
/// connection (<see cref="NbdQueueIo"/>), made by the connector thread, which also remakes lost ones.
/// </summary>
public sealed class NbdBackend : IBlockBackend, IConnectionStatusSource
{
    private const int OpenTimeoutMs = 10_000;
    private readonly Action<string> _log;
    private int _queues;

    private readonly NbdSharedConnection? _shared;

    private NbdBackend(NbdUri uri, NbdExport export, bool readOnly, int reconnectTimeoutSeconds, Action<string> log, int sharedLanes, ushort queueSize)
    {
        Uri = uri;
        Export = export;
        ReadOnly = readOnly;
        ReconnectTimeoutTicks = reconnectTimeoutSeconds * Stopwatch.Frequency;
        _log = log;
        Connector = new NbdConnector(uri, export, log);
        try
        {
            _shared = sharedLanes > 0 ? new NbdSharedConnection(this, sharedLanes, queueSize) : null;
        }
        catch
        {
            Connector.Dispose();
            throw;
        }
    }

    /// <summary>True when every queue goes through one connection (the server does not allow several).</summary>
    public bool SharedConnection => _shared != null;

    /// <summary>The server and export.</summary>
    public NbdUri Uri { get; }

    /// <summary>What the server said about the export at start-up; every reconnection must agree.</summary>
    public NbdExport Export { get; }

    /// <summary>How long a request may wait for a lost connection to come back (0: it fails at once).</summary>
    public long ReconnectTimeoutTicks { get; }

    internal NbdConnector Connector { get; }

    /// <inheritdoc />
    public ulong CapacityBytes => Export.Size;

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public BlkBackendFeatures Features =>
        (Export.CanTrim ? BlkBackendFeatures.Discard : 0) | (Export.CanWriteZeroes ? BlkBackendFeatures.WriteZeroes : 0);

    /// <summary>
    /// NBD_INFO_BLOCK_SIZE as the driver's topology: below the minimum block the server reads, modifies
    /// and writes; requests and discards are best made in the preferred one; one command carries at most
    /// the maximum payload.
    /// </summary>
    public BlkTopology Topology => new()
    {
        PhysicalBlockBytes = Export.MinimumBlock,
        OptimalIoBytes = Export.PreferredBlock,
        MaxTransferBytes = Export.MaximumPayload,
        DiscardGranularityBytes = Export.PreferredBlock,
    };

    /// <summary>Connections remade after a loss, over all queues.</summary>
    public long Reconnects => Connector.Reconnects;

    /// <summary>
    /// Connects to <paramref name="uri"/> and checks the export against the device: a multiple of
    /// <paramref name="logicalBlockSize"/>; one connection per queue where the server allows several,
    /// else one connection all <paramref name="queues"/> queues (of up to <paramref name="queueSize"/>
    /// entries) share. A read-only export is served read-only (<paramref name="readOnlyReason"/> says so).
    /// Throws <see cref="BackendException"/> naming the server and the reason.
    /// </summary>
    public static NbdBackend Open(NbdUri uri, bool readOnly, uint logicalBlockSize, int queues, ushort queueSize, int reconnectTimeoutSeconds,
        Action<string> log, out string? readOnlyReason)
    {
        ArgumentNullException.ThrowIfNull(uri);
        NbdExport export;
        try
        {
            (OwnedFd probe, export) = NbdConnector.Open(uri, OpenTimeoutMs);
            Disconnect(probe, export);
        }
        catch (NetworkException e)
        {
            throw new BackendException(e.Message);
        }

        string where = "export '" + uri.Export + "' on " + uri.Endpoint;
        if (export.Size == 0 || export.Size % logicalBlockSize != 0)
        {
            throw new BackendException(where + ": size " + export.Size + " is not a positive multiple of the logical block size " + logicalBlockSize);
        }

        if (export.MinimumBlock > logicalBlockSize)
        {
            throw new BackendException(where + " needs requests of at least " + export.MinimumBlock + " bytes: serve it with --logical-block-size " + export.MinimumBlock);
        }

        readOnlyReason = export.ReadOnly && !readOnly ? where + " is read-only: serving it read-only" : null;
        int sharedLanes = queues > 1 && !export.CanMultiConn ? queues : 0;
        return new NbdBackend(uri, export, readOnly || export.ReadOnly, reconnectTimeoutSeconds, log, sharedLanes, queueSize);
    }

    private static unsafe void Disconnect(OwnedFd socket, NbdExport export)
    {
        byte* disc = stackalloc byte[NbdWire.ExtendedRequestBytes];
        int length = NbdWire.WriteRequest(disc, export.ExtendedHeaders, NbdProto.NBD_CMD_DISC, 0, 0, 0, 0);
        new BlockingSocket(socket.Value, "").TrySend(new ReadOnlySpan<byte>(disc, length));
        socket.Dispose();
    }

    internal void Log(string message) => _log(message);

    private readonly QueueConnections _connections = new();

    /// <summary>Sends spliced by reference so far, over the open connections.</summary>
    internal long SplicedSends => _connections.SplicedSends();

    /// <summary>A connection opened (start-up of a queue or of the shared connection: not the hot path).</summary>
    internal void Track(NbdQueueIo connection) => _connections.Add(connection);

    /// <summary>A connection closed for good.</summary>
    internal void Untrack(NbdQueueIo connection) => _connections.Remove(connection);

    /// <inheritdoc />
    public ConnectionStatus[] Connections() => _connections.Statuses();

    /// <inheritdoc />
    public string Describe() => "nbd " + Uri.Text + " (" + SizeText.Format(CapacityBytes) + (ReadOnly ? ", read-only" : "")
        + (Export.ExtendedHeaders ? ", extended headers" : Export.StructuredReplies ? ", structured replies" : "")
        + (_shared != null ? ", one connection for " + _shared.Lanes + " queues: the server does not allow several" : "") + ")";

    /// <inheritdoc />
    public void Resize(ulong capacityBytes) =>
        throw new BackendException("the size of an NBD export is the server's: resize it there (" + Uri.Text + ")");

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring)
    {
        if (ring == null)
        {
            throw new ArgumentNullException(nameof(ring), "the NBD backend needs the queue thread's io_uring");
        }

        if (_shared != null)
        {
            return new NbdForwardQueueIo(_shared, ring);
        }

        int number = Interlocked.Increment(ref _queues) - 1;
        return new NbdQueueIo(this, ring, "queue " + number, number);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _shared?.Dispose();
        Connector.Dispose();
    }
}
