namespace VduseAot.Block;

/// <summary>Per-queue counters, written only by the queue's own thread (other threads read them racily).</summary>
public sealed class BlkQueueStats
{
    /// <summary>Chains popped and started; minus <see cref="Requests"/>, the requests in flight.</summary>
    public ulong Started;
    /// <summary>Requests completed.</summary>
    public ulong Requests;
    /// <summary>Reads completed.</summary>
    public ulong Reads;
    /// <summary>Writes completed.</summary>
    public ulong Writes;
    /// <summary>Flushes completed.</summary>
    public ulong Flushes;
    /// <summary>DISCARD and WRITE_ZEROES completed.</summary>
    public ulong Zeroings;
    /// <summary>GET_ID completed.</summary>
    public ulong GetIds;
    /// <summary>Bytes read by the driver.</summary>
    public ulong BytesRead;
    /// <summary>Bytes written by the driver.</summary>
    public ulong BytesWritten;
    /// <summary>Requests answered VIRTIO_BLK_S_IOERR.</summary>
    public ulong IoErrors;
    /// <summary>Requests answered VIRTIO_BLK_S_UNSUPP.</summary>
    public ulong Unsupported;
    /// <summary>Malformed requests or chains (a subset of <see cref="IoErrors"/> when they had a status byte).</summary>
    public ulong Malformed;

    /// <summary>Time from pop to completion of every request, in Stopwatch ticks.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Requests started and not completed yet (read racily: completions are read first, so never negative).</summary>
    public ulong InFlight
    {
        get
        {
            ulong done = System.Threading.Volatile.Read(ref Requests);
            ulong started = System.Threading.Volatile.Read(ref Started);
            return started >= done ? started - done : 0;
        }
    }
}
