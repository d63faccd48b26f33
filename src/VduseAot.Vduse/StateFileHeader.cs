using System.Runtime.InteropServices;

namespace VduseAot.Vduse;

/// <summary>
/// The first 4 KiB of a state file (format version 1), as it lies in the shared mapping: a successor
/// reads what its predecessor wrote, so offsets are fixed here and pinned by a test, never computed.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Bytes)]
public unsafe struct StateFileHeader
{
    /// <summary>Size of the header; the first queue's journal starts here.</summary>
    public const int Bytes = 4096;

    /// <summary>Capacity of <see cref="Backend"/>, NUL included.</summary>
    public const int BackendBytes = 1024;

    /// <summary>"VDUSEBLK" in little-endian byte order, written last when the file is created.</summary>
    public const ulong MagicValue = 0x4B4C4245_53554456;

    /// <summary>The format this code reads and writes.</summary>
    public const uint CurrentVersion = 1;

    /// <summary><see cref="MagicValue"/> once the file is complete.</summary>
    [FieldOffset(0)] public ulong Magic;

    /// <summary>Format version.</summary>
    [FieldOffset(8)] public uint Version;

    /// <summary>Number of virtqueues.</summary>
    [FieldOffset(12)] public uint Queues;

    /// <summary>Maximum ring size per queue.</summary>
    [FieldOffset(16)] public uint QueueSize;

    /// <summary>Logical block size in bytes.</summary>
    [FieldOffset(20)] public uint LogicalBlockSize;

    /// <summary>Features offered at creation.</summary>
    [FieldOffset(24)] public ulong Features;

    /// <summary>Capacity in bytes; rewritten by a resize.</summary>
    [FieldOffset(32)] public ulong CapacityBytes;

    /// <summary>Device status the kernel message thread acknowledged last (low byte).</summary>
    [FieldOffset(40)] public uint Status;

    /// <summary>Process that serves the device now.</summary>
    [FieldOffset(44)] public int OwnerPid;

    /// <summary>1 when offered read-only.</summary>
    [FieldOffset(48)] public uint ReadOnly;

    /// <summary>The backend identity, UTF-8, NUL-terminated.</summary>
    [FieldOffset(128)] public fixed byte Backend[BackendBytes];
}
