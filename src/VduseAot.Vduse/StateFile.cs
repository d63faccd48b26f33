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
    private readonly MappedFile _file;

    private StateFile(MappedFile file, DeviceIdentity identity)
    {
        _file = file;
        Identity = identity;
    }

    /// <summary>The configuration recorded in the file.</summary>
    public DeviceIdentity Identity { get; }

    private StateFileHeader* Header => (StateFileHeader*)_file.Data;

    /// <summary>The file.</summary>
    public string Path => _file.Path;

    /// <summary>Device status the kernel message thread acknowledged last (DRIVER_OK: the queues are live).</summary>
    public byte Status
    {
        get => (byte)Volatile.Read(ref Header->Status);
        set => Volatile.Write(ref Header->Status, value);
    }

    /// <summary>Process that serves the device now (for messages only).</summary>
    public int OwnerPid
    {
        get => Volatile.Read(ref Header->OwnerPid);
        set => Volatile.Write(ref Header->OwnerPid, value);
    }

    /// <summary>Records a new capacity (after a resize) for the configuration check of a successor.</summary>
    public void RecordCapacity(ulong bytes) => Volatile.Write(ref Header->CapacityBytes, bytes);

    /// <summary>Creates (or overwrites) the state file of a new device.</summary>
    public static StateFile Create(string path, DeviceIdentity identity)
    {
        MappedFile file = MappedFile.Open(path, TotalBytes(identity), ImageOpen.Fresh);
        var h = (StateFileHeader*)file.Data;
        h->Version = StateFileHeader.CurrentVersion;
        h->Queues = identity.Queues;
        h->QueueSize = identity.QueueSize;
        h->LogicalBlockSize = identity.LogicalBlockSize;
        h->Features = identity.Features;
        h->CapacityBytes = identity.CapacityBytes;
        h->ReadOnly = identity.ReadOnly ? 1u : 0u;
        int n = Encoding.UTF8.GetBytes(identity.Backend, new Span<byte>(h->Backend, StateFileHeader.BackendBytes - 1));
        h->Backend[n] = 0;

        // Release: the magic goes last, so a file cut short by a crash here reads as corrupt, not valid.
        Volatile.Write(ref h->Magic, StateFileHeader.MagicValue);
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

        if (size < StateFileHeader.Bytes)
        {
            problem = "state file " + path + " is truncated (" + size + " bytes)";
            return null;
        }

        MappedFile file = MappedFile.Open(path, size.Value, ImageOpen.KeepSameSize);
        var h = (StateFileHeader*)file.Data;
        var backend = new ReadOnlySpan<byte>(h->Backend, StateFileHeader.BackendBytes);
        int backendLength = backend.IndexOf((byte)0);
        var identity = new DeviceIdentity
        {
            Queues = (ushort)h->Queues,
            QueueSize = (ushort)h->QueueSize,
            LogicalBlockSize = h->LogicalBlockSize,
            Features = h->Features,
            CapacityBytes = h->CapacityBytes,
            ReadOnly = h->ReadOnly != 0,
            Backend = Encoding.UTF8.GetString(backend.Slice(0, Math.Max(0, backendLength))),
        };
        problem = h->Magic != StateFileHeader.MagicValue ? "state file " + path + " is not a vduse-blk state file (or was cut short while created)"
            : h->Version != StateFileHeader.CurrentVersion ? "state file " + path + " has format version " + h->Version + ", this vduse-blk reads version " + StateFileHeader.CurrentVersion
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
        new(_file.Data + StateFileHeader.Bytes + (queue * (ulong)QueueStride(Identity.QueueSize)), ringSize);

    private static ulong TotalBytes(DeviceIdentity identity) => StateFileHeader.Bytes + ((ulong)identity.Queues * (ulong)QueueStride(identity.QueueSize));

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
