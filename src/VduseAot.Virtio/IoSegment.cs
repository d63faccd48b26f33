namespace VduseAot.Virtio;

/// <summary>A contiguous piece of a request's buffer in host memory (an iovec).</summary>
public unsafe struct IoSegment
{
    /// <summary>Host address.</summary>
    public byte* Host;
    /// <summary>Bytes.</summary>
    public uint Length;

    /// <summary>Creates a segment.</summary>
    public IoSegment(byte* host, uint length)
    {
        Host = host;
        Length = length;
    }
}
