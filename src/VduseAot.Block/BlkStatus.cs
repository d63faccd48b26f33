namespace VduseAot.Block;

/// <summary>Status values the request engine passes around: the virtio ones plus "not finished yet".</summary>
public static class BlkStatus
{
    /// <summary>The operation went to the kernel; its completion arrives later.</summary>
    public const byte Pending = 0xff;
}
