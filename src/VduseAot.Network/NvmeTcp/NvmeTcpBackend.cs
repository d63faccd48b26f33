using System;
using System.Diagnostics;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// A disk whose bytes are a namespace of an NVMe/TCP subsystem. Opening brings up the association
/// (admin queue, Identify) to learn the namespace and to fail early with the controller's own words;
/// each queue thread then gets its own I/O queue (<see cref="NvmeTcpQueueIo"/>), connected by the
/// connector thread, which also keeps the association alive and re-establishes it when it is lost.
/// </summary>
public sealed class NvmeTcpBackend : IBlockBackend, IConnectionStatusSource
{
    private const int OpenTimeoutMs = 10_000;
    private readonly QueueConnections _connections = new();
    private readonly Action<string> _log;
    private readonly Action<string> _debugLog;
    private readonly bool[] _queueInUse;

    private NvmeTcpBackend(NvmeTcpOptions options, NvmeTcpTarget target, bool readOnly, int reconnectTimeoutSeconds, Action<string> log,
        Action<string> debugLog, NvmeTcpConnector connector)
    {
        Options = options;
        Target = target;
        ReadOnly = readOnly;
        ReconnectTimeoutTicks = reconnectTimeoutSeconds * Stopwatch.Frequency;
        _log = log;
        _debugLog = debugLog;
        Connector = connector;
        _queueInUse = new bool[target.IoQueues];
        uint block = target.Namespace.BlockBytes;
        ulong mdts = target.MaxTransferBytes == 0 ? ulong.MaxValue : target.MaxTransferBytes;
        MaxCommandBytes = (uint)Math.Max(block, Math.Min(Math.Min(mdts, 65536UL * block), 1UL << 31) & ~(ulong)(block - 1));
    }

    /// <summary>How to reach the namespace.</summary>
    public NvmeTcpOptions Options { get; }

    /// <summary>What the controller said at start-up; every new association must agree.</summary>
    public NvmeTcpTarget Target { get; }

    /// <summary>How long a request may wait for a lost association to come back (0: it fails at once).</summary>
    public long ReconnectTimeoutTicks { get; }

    /// <summary>The most bytes one read or write command moves: MDTS, and 65536 blocks (the 16-bit block count).</summary>
    public uint MaxCommandBytes { get; }

    internal NvmeTcpConnector Connector { get; }

    /// <inheritdoc />
    public ulong CapacityBytes => Target.Namespace.Bytes;

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <summary>
    /// DISCARD as Dataset Management (deallocate), whose range goes in the capsule, and WRITE_ZEROES as
    /// Write Zeroes, where the controller supports them (Identify Controller ONCS).
    /// </summary>
    public BlkBackendFeatures Features =>
        (Target.CanDeallocate && Target.Controller.InCapsuleBytes >= NvmeProto.DsmRangeBytes ? BlkBackendFeatures.Discard : 0)
        | (Target.CanWriteZeroes ? BlkBackendFeatures.WriteZeroes : 0);

    /// <summary>The namespace's block as the physical block; one command's most as the largest transfer.</summary>
    public BlkTopology Topology => new()
    {
        PhysicalBlockBytes = Target.Namespace.BlockBytes,
        MaxTransferBytes = MaxCommandBytes,
    };

    /// <summary>Connections remade after a loss, over all queues.</summary>
    public long Reconnects => Connector.Reconnects;

    /// <summary>
    /// Brings up an association for <paramref name="options"/> with <paramref name="queues"/> I/O queues
    /// of up to <paramref name="queueSize"/> outstanding commands, and checks the namespace against the
    /// device (its blocks no larger than <paramref name="logicalBlockSize"/>, its size a multiple of it).
    /// Throws <see cref="BackendException"/> naming the controller and the reason.
    /// </summary>
    public static NvmeTcpBackend Open(NvmeTcpOptions options, bool readOnly, uint logicalBlockSize, int queues, ushort queueSize, int reconnectTimeoutSeconds,
        Action<string> log, Action<string> debugLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        OwnedFd admin;
        NvmeTcpExchange exchange;
        NvmeTcpTarget target;
        try
        {
            (admin, exchange, target) = NvmeTcpAdmin.Open(options, queues, OpenTimeoutMs);
        }
        catch (NetworkException e)
        {
            throw new BackendException(e.Message);
        }

        try
        {
            string where = "namespace " + options.Nsid + " of " + options.SubsystemNqn + " on " + options.Endpoint;
            uint block = target.Namespace.BlockBytes;
            if (block > logicalBlockSize || logicalBlockSize % block != 0)
            {
                throw new BackendException(where + " has " + block + "-byte blocks: serve it with --logical-block-size " + block);
            }

            if (target.Namespace.Bytes % logicalBlockSize != 0)
            {
                throw new BackendException(where + ": size " + target.Namespace.Bytes + " is not a multiple of the logical block size " + logicalBlockSize);
            }

            // One entry stays empty (a full queue would look empty): queue size + 1 entries, within CAP.MQES.
            ushort entries = (ushort)Math.Min(queueSize + 1, Math.Min(target.MaxQueueEntries, ushort.MaxValue));
            var connector = new NvmeTcpConnector(options, target, admin, exchange, queues, entries, log);
            return new NvmeTcpBackend(options, target, readOnly, reconnectTimeoutSeconds, log, debugLog, connector);
        }
        catch
        {
            admin.Dispose();
            throw;
        }
    }

    internal void Log(string message) => _log(message);

    internal void LogDebug(string message) => _debugLog(message);

    /// <summary>Sends spliced by reference so far, over the open connections.</summary>
    internal long SplicedSends => _connections.SplicedSends();

    /// <summary>A queue's connection opened.</summary>
    internal void Track(NvmeTcpQueueIo connection) => _connections.Add(connection);

    /// <summary>A queue's connection closed for good: its I/O queue id is free again (a device reset reopens the queues).</summary>
    internal void Untrack(NvmeTcpQueueIo connection, int number)
    {
        _connections.Remove(connection);
        lock (_queueInUse)
        {
            _queueInUse[number] = false;
        }
    }

    /// <summary>The lowest I/O queue number not in use (the queue id is one more).</summary>
    private int TakeQueueNumber()
    {
        lock (_queueInUse)
        {
            int number = Array.IndexOf(_queueInUse, false);
            if (number < 0)
            {
                throw new BackendException("the controller granted " + Target.IoQueues + " I/O queues, and all are in use");
            }

            _queueInUse[number] = true;
            return number;
        }
    }

    /// <inheritdoc />
    public ConnectionStatus[] Connections() => _connections.Statuses();

    /// <inheritdoc />
    public string Describe() => "nvme-tcp " + Options.Endpoint + " " + Options.SubsystemNqn + " namespace " + Options.Nsid + " ("
        + SizeText.Format(CapacityBytes) + " in " + Target.Namespace.BlockBytes + "-byte blocks" + (ReadOnly ? ", read-only" : "")
        + (Options.HeaderDigest || Options.DataDigest ? ", digests " + (Options.HeaderDigest ? "header" : "") + (Options.HeaderDigest && Options.DataDigest ? "," : "")
            + (Options.DataDigest ? "data" : "") : "") + ", controller " + Target.ControllerId + ")";

    /// <inheritdoc />
    public void Resize(ulong capacityBytes) =>
        throw new BackendException("the size of an NVMe namespace is the target's: resize it there (" + Options.SubsystemNqn + " on " + Options.Endpoint + ")");

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring)
    {
        if (ring == null)
        {
            throw new ArgumentNullException(nameof(ring), "the NVMe/TCP backend needs the queue thread's io_uring");
        }

        int number = TakeQueueNumber();
        return new NvmeTcpQueueIo(this, ring, "queue " + number, number);
    }

    /// <inheritdoc />
    public void Dispose() => Connector.Dispose();
}
