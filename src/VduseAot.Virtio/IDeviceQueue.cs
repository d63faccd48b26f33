namespace VduseAot.Virtio;

/// <summary>
/// The device side of a virtqueue, whatever its layout (split or packed): what the request engine and
/// the queue threads need, start-up included, so callers create a queue through one factory and never
/// look at its layout again. Implementations are owned by one thread.
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

    /// <summary>Both sides' indexes and wrap counters (what GET_VQ_STATE reports).</summary>
    RingPosition Position { get; }

    /// <summary>Chains completed since the queue was created (never wraps in practice; interrupts are decided on changes of it).</summary>
    ulong CompletedTotal { get; }

    /// <summary>Chains taken over from a predecessor by <see cref="Resume"/> and not popped again yet.</summary>
    int RecoveredPending { get; }

    /// <summary>
    /// Translates the ring areas and continues from <paramref name="position"/> (virtio-queue's
    /// <c>set_next_avail</c> and friends at once); starts the journal's record afresh. Split rings take
    /// the used index from the used ring itself (the driver's reset zeroes it), packed rings from
    /// <paramref name="position"/>. Returns an error text when an area is unmapped, not contiguous in
    /// host memory, or the position is outside the ring. Never on the hot path.
    /// </summary>
    string? Start(RingAddresses rings, RingPosition position);

    /// <summary>
    /// Translates the rings of the last start again and continues from <see cref="Position"/>: after the
    /// guest's mappings changed. Call with nothing in flight and everything flushed; the interrupt
    /// decision of <see cref="FinishBatch"/> still covers completions from before.
    /// </summary>
    string? Restart();

    /// <summary>
    /// Takes over a running ring from a predecessor's journal (required): translates the rings,
    /// settles the completion it was publishing, continues from its position and pops the chains it
    /// left in flight first, in their order. Error text when the journal does not match the ring.
    /// </summary>
    string? Resume(RingAddresses rings);

    /// <summary>
    /// Takes over a running ring with no journal. Split rings continue after the last chain returned,
    /// assuming nothing was in flight (all that can be promised); packed rings cannot be taken over
    /// this way (their positions are unknowable) and return an error text.
    /// </summary>
    string? Adopt(RingAddresses rings);

    /// <summary>Pops the next chain (malformed ones too, with their error set); false when none is available.</summary>
    bool TryPop(DescriptorChain chain);

    /// <summary>
    /// Returns <paramref name="chain"/> to the driver with <paramref name="writtenBytes"/> written. Split:
    /// writes the used element, which the driver sees after <see cref="FlushUsed"/>. Packed: hands the
    /// descriptor back at once.
    /// </summary>
    void Complete(DescriptorChain chain, uint writtenBytes);

    /// <summary>
    /// Makes every completion so far visible to the driver. Split: one release store of the used index.
    /// Packed: nothing left to do (each <see cref="Complete"/> released its descriptor).
    /// </summary>
    void FlushUsed();

    /// <summary>
    /// Ends a pass: <see cref="FlushUsed"/>, then whether the driver wants an interrupt for what was
    /// completed since the previous <see cref="FinishBatch"/> (false when nothing was). Split: with
    /// EVENT_IDX, when the published range crossed used_event, else unless VRING_AVAIL_F_NO_INTERRUPT.
    /// Packed: from the driver event area (DISABLE, ENABLE, or with EVENT_IDX the DESC event offset).
    /// </summary>
    bool FinishBatch();

    /// <summary>Before sleeping: re-enables kicks, then re-checks the ring; true when chains arrived meanwhile.</summary>
    bool EnableKicksAndRecheck();

    /// <summary>While polling: asks the driver not to kick.</summary>
    void DisableKicks();
}
