using System;
using System.Text;
using System.Threading;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>
/// What must survive the serving process for a successor to take the device over: one file per
/// device in the state directory, mapped MAP_SHARED. A 4 KiB header holds the format version, the
/// configuration the kernel device was created with (a successor must serve the same one) and the
/// device status last acknowledged; then one page-aligned <see cref="RingJournal"/> region per queue.
/// </summary>
public sealed unsafe class StateFile : IDisposable
{
    private const ulong Magic = 0x4B4C4245_53554456; // "VDUSEBLK" in little-endian byte order
    private const uint Version = 1;
    private const int HeaderBytes = 4096;
    private const int BackendOffset = 128;
    private const int BackendBytes = 1024;
    private readonly MappedFile _file;

    private StateFile(MappedFile file, DeviceIdentity identity)
    {
        _file = file;
        Identity = identity;
    }

    /// <summary>The configuration recorded in the file.</summary>
    public DeviceIdentity Identity { get; }

    /// <summary>The file.</summary>
    public string Path => _file.Path;

    /// <summary>The state file of device <paramref name="name"/> in <paramref name="dir"/>.</summary>
    public static string PathFor(string dir, string name) => System.IO.Path.Combine(dir, name + ".state");

    /// <summary>Device status the control thread acknowledged last (DRIVER_OK: the queues are live).</summary>
    public byte Status
    {
        get => (byte)Volatile.Read(ref *(uint*)(_file.Data + 40));
        set => Volatile.Write(ref *(uint*)(_file.Data + 40), value);
    }

    /// <summary>Process that serves the device now (for messages only).</summary>
    public int OwnerPid
    {
        get => Volatile.Read(ref *(int*)(_file.Data + 44));
        set => Volatile.Write(ref *(int*)(_file.Data + 44), value);
    }

    /// <summary>Records a new capacity (after a resize) for the configuration check of a successor.</summary>
    public void RecordCapacity(ulong bytes) => Volatile.Write(ref *(ulong*)(_file.Data + 32), bytes);

    /// <summary>Creates (or overwrites) the state file of a new device.</summary>
    public static StateFile Create(string path, DeviceIdentity identity)
    {
        MappedFile file = MappedFile.Open(path, TotalBytes(identity), ImageOpen.Fresh);
        byte* h = file.Data;
        *(uint*)(h + 8) = Version;
        *(uint*)(h + 12) = identity.Queues;
        *(uint*)(h + 16) = identity.QueueSize;
        *(uint*)(h + 20) = identity.LogicalBlockSize;
        *(ulong*)(h + 24) = identity.Features;
        *(ulong*)(h + 32) = identity.CapacityBytes;
        *(uint*)(h + 48) = identity.ReadOnly ? 1u : 0u;
        int n = Encoding.UTF8.GetBytes(identity.Backend, new Span<byte>(h + BackendOffset, BackendBytes - 1));
        h[BackendOffset + n] = 0;

        // Release: the magic goes last, so a file cut short by a crash here reads as corrupt, not valid.
        Volatile.Write(ref *(ulong*)h, Magic);
        return new StateFile(file, identity);
    }

    /// <summary>Opens the state file left by a predecessor; returns null with <paramref name="problem"/> when it is missing or unreadable.</summary>
    public static StateFile? Open(string path, out string? problem)
    {
        ulong? size = MappedFile.SizeOf(path);
        if (size is null)
        {
            problem = "state file " + path + " does not exist";
            return null;
        }

        if (size < HeaderBytes)
        {
            problem = "state file " + path + " is truncated (" + size + " bytes)";
            return null;
        }

        MappedFile file = MappedFile.Open(path, size.Value, ImageOpen.KeepSameSize);
        byte* h = file.Data;
        var backend = new ReadOnlySpan<byte>(h + BackendOffset, BackendBytes);
        int backendLength = backend.IndexOf((byte)0);
        var identity = new DeviceIdentity
        {
            Queues = (ushort)*(uint*)(h + 12),
            QueueSize = (ushort)*(uint*)(h + 16),
            LogicalBlockSize = *(uint*)(h + 20),
            Features = *(ulong*)(h + 24),
            CapacityBytes = *(ulong*)(h + 32),
            ReadOnly = *(uint*)(h + 48) != 0,
            Backend = Encoding.UTF8.GetString(backend.Slice(0, Math.Max(0, backendLength))),
        };
        problem = *(ulong*)h != Magic ? "state file " + path + " is not a vduse-blk state file (or was cut short while created)"
            : *(uint*)(h + 8) != Version ? "state file " + path + " has format version " + *(uint*)(h + 8) + ", this vduse-blk reads version " + Version
            : identity.Queues == 0 || identity.QueueSize == 0 || size != TotalBytes(identity) ? "state file " + path + " is corrupt (its size does not match its queues)"
            : null;
        if (problem != null)
        {
            file.Dispose();
            return null;
        }

        return new StateFile(file, identity);
    }

    /// <summary>The journal region of queue <paramref name="queue"/>, for a ring of <paramref name="ringSize"/> entries (at most the queue size).</summary>
    public RingJournal Journal(uint queue, ushort ringSize) =>
        new(_file.Data + HeaderBytes + (queue * (ulong)QueueStride(Identity.QueueSize)), ringSize);

    private static ulong TotalBytes(DeviceIdentity identity) => HeaderBytes + ((ulong)identity.Queues * (ulong)QueueStride(identity.QueueSize));

    private static int QueueStride(ushort queueSize) => (RingJournal.RegionBytes(queueSize) + 4095) & ~4095;

    /// <summary>Unmaps; the file stays for a successor.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>Unmaps and removes the file (the device is gone).</summary>
    public void Delete()
    {
        _file.Dispose();
        try
        {
            System.IO.File.Delete(_file.Path);
        }
        catch (System.IO.IOException e)
        {
            Log.Write(LogLevel.Warn, System.IO.Path.GetFileNameWithoutExtension(_file.Path), "removing " + _file.Path + " failed: " + e.Message);
        }
    }
}
