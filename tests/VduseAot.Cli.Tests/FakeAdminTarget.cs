using System;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot.Cli.Tests;

/// <summary>A served device as the admin socket sees it, over a null backend with the real resize rules.</summary>
internal sealed class FakeAdminTarget : IAdminTarget, IDisposable
{
    private readonly NullBackend _backend = new(64UL << 20, readOnly: false);
    private readonly BlkQueueStats[] _queues = [new BlkQueueStats(), new BlkQueueStats()];

    public FakeAdminTarget()
    {
        _queues[0].Started = _queues[0].Requests = _queues[0].Writes = 3;
        _queues[0].BytesWritten = 3 * 4096;
        _queues[1].Started = 3;
        _queues[1].Requests = _queues[1].Reads = 2;
        _queues[1].BytesRead = 8192;
        foreach (long ns in new long[] { 10_000, 20_000, 30_000 })
        {
            _queues[0].Latency.Record(ns * System.Diagnostics.Stopwatch.Frequency / 1_000_000_000);
        }
    }

    public string Name => "d";

    public string BackendDescription => _backend.Describe();

    public string? BlockDevice => "/dev/vdz";

    public ulong CapacityBytes => _backend.CapacityBytes;

    public int StopRequests { get; private set; }

    public BlkQueueStats[] QueueStats() => _queues;

    /// <summary>What <see cref="Connections"/> returns (none: a local backend).</summary>
    public ConnectionStatus[] Links { get; set; } = [];

    public ConnectionStatus[] Connections() => Links;

    public ulong Resize(ulong bytes, bool force)
    {
        try
        {
            return BlkResize.Apply(_backend, 512, bytes, force);
        }
        catch (BackendException e)
        {
            throw new VduseException(e.Message, e);
        }
    }

    public void RequestStop(bool keepDevice) => StopRequests++;

    public void Dispose() => _backend.Dispose();
}
