using System.Runtime.InteropServices;

namespace VduseAot.Virtio;

/// <summary>
/// The 64-byte header of a queue's journal region, as it lies in the shared state file; the tables
/// of records and copied descriptors follow it. Offsets are fixed here (a successor binary reads
/// them) and pinned by a test.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Bytes)]
public struct JournalHeader
{
    /// <summary>Size of the header.</summary>
    public const int Bytes = 64;

    /// <summary><see cref="StoredLayout"/> of a split ring.</summary>
    public const uint LayoutSplit = 1;

    /// <summary><see cref="StoredLayout"/> of a packed ring.</summary>
    public const uint LayoutPacked = 2;

    /// <summary>Next avail position and pop count (<see cref="JournalWord.Avail"/>).</summary>
    [FieldOffset(0)] public ulong AvailWord;

    /// <summary>Used position and the completion in progress (<see cref="JournalWord.Used"/>).</summary>
    [FieldOffset(8)] public ulong UsedWord;

    /// <summary>Records at or below this pop sequence predate the last reset.</summary>
    [FieldOffset(16)] public ulong BaseSeq;

    /// <summary>Ring size the journal was written for.</summary>
    [FieldOffset(24)] public uint StoredSize;

    /// <summary><see cref="LayoutSplit"/> or <see cref="LayoutPacked"/>.</summary>
    [FieldOffset(28)] public uint StoredLayout;
}
