using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>What the admin socket can see and do of a served device.</summary>
public interface IAdminTarget
{
    /// <summary>The device name.</summary>
    string Name { get; }

    /// <summary>"ram 64 MiB", "file /srv/disk.img (...)".</summary>
    string BackendDescription { get; }

    /// <summary>/dev/vdX, or null before the attach (or with --no-attach).</summary>
    string? BlockDevice { get; }

    /// <summary>The capacity the driver is told.</summary>
    ulong CapacityBytes { get; }

    /// <summary>Per-queue counters since start.</summary>
    BlkQueueStats[] QueueStats();

    /// <summary>The backend's network connections now (empty for local storage).</summary>
    ConnectionStatus[] Connections();

    /// <summary>Changes the capacity; returns the previous one. Throws <see cref="VduseException"/>.</summary>
    ulong Resize(ulong bytes, bool force);

    /// <summary>Starts the teardown SIGTERM starts, or with <paramref name="keepDevice"/> the exit SIGUSR1 starts.</summary>
    void RequestStop(bool keepDevice);
}
