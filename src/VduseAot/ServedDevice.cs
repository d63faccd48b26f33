using System;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>The served <see cref="VduseBlkDevice"/> as the admin socket sees it.</summary>
public sealed class ServedDevice(string name, VduseBlkDevice device, Action<bool> requestStop) : IAdminTarget
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public string BackendDescription => device.BackendDescription;

    /// <inheritdoc />
    public string? BlockDevice => device.BlockDevice;

    /// <inheritdoc />
    public ulong CapacityBytes => device.CapacityBytes;

    /// <inheritdoc />
    public BlkQueueStats[] QueueStats() => device.QueueStats();

    /// <inheritdoc />
    public ConnectionStatus[] Connections() => device.Connections();

    /// <inheritdoc />
    public ulong Resize(ulong bytes, bool force) => device.Resize(bytes, force);

    /// <inheritdoc />
    public void RequestStop(bool keepDevice)
    {
        Log.Write(LogLevel.Info, name, keepDevice ? "exit requested on the control socket, keeping the device" : "stop requested on the control socket");
        requestStop(keepDevice);
    }
}
