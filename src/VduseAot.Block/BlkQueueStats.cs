namespace VduseAot.Block;

/// <summary>Per-queue counters, written only by the queue's own thread.</summary>
public sealed class BlkQueueStats
{
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
}
