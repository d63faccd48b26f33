namespace VduseAot.Virtio;

/// <summary>
/// The two position words of a journal header. Each is stored with one 8-byte release write, so a
/// successor always reads a whole position: the next avail index with its wrap counter and the pop
/// count, or the used index with its wrap counter and the completion being published. The only
/// place these bit fields are packed and unpacked, in the journal and its tests.
/// </summary>
/// <remarks>
/// Avail word: pop count (bits 17..63) | wrap (bit 16) | index (bits 0..15).
/// Used word: pending id or count (bits 32..47) | pending (bit 17) | wrap (bit 16) | index (bits 0..15).
/// </remarks>
public static class JournalWord
{
    private const ulong WrapBit = 1UL << 16;
    private const ulong PendingBit = 1UL << 17;
    private const int PopShift = 17;
    private const int PendingValueShift = 32;

    /// <summary>An avail word: the next avail position and the pops recorded so far.</summary>
    public static ulong Avail(ushort index, bool wrap, ulong popCount) => Position(index, wrap) | (popCount << PopShift);

    /// <summary>A used word with nothing being published.</summary>
    public static ulong Used(ushort index, bool wrap) => Position(index, wrap);

    /// <summary>
    /// A used word marking a completion in progress from (<paramref name="index"/>, <paramref name="wrap"/>):
    /// a split batch of <paramref name="value"/> entries, or packed buffer id <paramref name="value"/>.
    /// </summary>
    public static ulong UsedPending(ushort index, bool wrap, ushort value) =>
        Position(index, wrap) | PendingBit | ((ulong)value << PendingValueShift);

    /// <summary>The ring index of either word.</summary>
    public static ushort Index(ulong word) => (ushort)word;

    /// <summary>The wrap counter of either word.</summary>
    public static bool Wrap(ulong word) => (word & WrapBit) != 0;

    /// <summary>The pop count of an avail word.</summary>
    public static ulong PopCount(ulong availWord) => availWord >> PopShift;

    /// <summary>Whether a used word marks a completion in progress.</summary>
    public static bool IsPending(ulong usedWord) => (usedWord & PendingBit) != 0;

    /// <summary>The pending batch count or buffer id of a used word.</summary>
    public static ushort PendingValue(ulong usedWord) => (ushort)(usedWord >> PendingValueShift);

    private static ulong Position(ushort index, bool wrap) => index | (wrap ? WrapBit : 0);
}
