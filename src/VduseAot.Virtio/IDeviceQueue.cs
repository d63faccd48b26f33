namespace VduseAot.Virtio;

/// <summary>
/// The device side of a virtqueue, whatever its layout (split or packed): what the request engine and
/// the queue threads need. Implementations are owned by one thread.
/// </summary>
public interface IDeviceQueue
{
    /// <summary>Entries in the ring.</summary>
    ushort Size { get; }

    /// <summary>Set when the driver broke a ring-level rule; the queue stops serving until restarted.</summary>
    string? BrokenReason { get; }

    /// <summary>Next avail index the device will read.</summary>
    ushort LastAvailIndex { get; }

    /// <summary>Next used index the device will write.</summary>
    ushort NextUsedIndex { get; }

    /// <summary>Chains completed since the queue was created (never wraps in practice; interrupts are decided on changes of it).</summary>
    ulong CompletedTotal { get; }

    /// <summary>Pops the next chain (malformed ones too, with their error set); false when none is available.</summary>
    bool TryPop(DescriptorChain chain);

    /// <summary>Returns <paramref name="chain"/> to the driver with <paramref name="writtenBytes"/> written.</summary>
    void Complete(DescriptorChain chain, uint writtenBytes);

    /// <summary>Makes completions visible to the driver; true when something was published.</summary>
    bool PublishUsed();

    /// <summary>After publishing: does the driver want an interrupt for what was published since <paramref name="usedAtLastCheck"/>?</summary>
    bool ShouldInterrupt(ushort usedAtLastCheck);

    /// <summary>Before sleeping: re-enables kicks, then re-checks the ring; true when chains arrived meanwhile.</summary>
    bool EnableKicksAndRecheck();

    /// <summary>While polling: asks the driver not to kick.</summary>
    void DisableKicks();
}
