using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>The production <see cref="IGuestMemory"/>: a struct so queue code specialises on it.</summary>
public readonly unsafe struct IotlbMemory : IGuestMemory
{
    private readonly IotlbCache _cache;

    /// <summary>Translates through <paramref name="cache"/>.</summary>
    public IotlbMemory(IotlbCache cache) => _cache = cache;

    /// <inheritdoc />
    public byte* Translate(ulong iova, uint length, bool write, out uint contiguous) => _cache.Translate(iova, length, write, out contiguous);
}
