using System;

namespace VduseAot.Block;

/// <summary>
/// A disk image addressable as memory: process memory, or a shared mapping of a file on a memory
/// file system (tmpfs), which keeps the bytes across a restart of the daemon. The owner does what
/// needs the kernel (mapping, growing, giving pages back), so <see cref="RamBackend"/> stays free of
/// system calls on its read and write path.
/// </summary>
public unsafe interface IMemoryImage : IDisposable
{
    /// <summary>First byte of the image; stays valid (and in place) when the image grows.</summary>
    byte* Data { get; }

    /// <summary>Bytes addressable now.</summary>
    ulong Length { get; }

    /// <summary>Gives the whole pages inside [offset, offset+length) back (they read as zeroes afterwards); false if the image cannot.</summary>
    bool Release(ulong offset, ulong length);

    /// <summary>Makes the image <paramref name="length"/> bytes long without moving it; returns null or why it cannot.</summary>
    string? Resize(ulong length);

    /// <summary>What holds the bytes, for messages ("memory", "/run/vduse-blk/d0.ram").</summary>
    string Describe();
}
