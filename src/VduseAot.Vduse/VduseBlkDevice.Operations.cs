using System;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <content>
/// What the admin socket asks of a running device: its counters and a new capacity. Both run on
/// the socket's thread, never on a queue thread or the kernel message thread.
/// </content>
public sealed unsafe partial class VduseBlkDevice
{
    // capacity is the first field of virtio_blk_config (the ABI test checks the layout).
    private const uint CapacityOffset = 0;

    private readonly object _resizeGate = new();

    /// <summary>Short description of the backend, for `vduse-blk list`.</summary>
    public string BackendDescription => _executor.Backend.Describe();

    /// <summary>The backend's network connections (none for local storage).</summary>
    public ConnectionStatus[] Connections() => (_executor.Backend as IConnectionStatusSource)?.Connections() ?? [];

    /// <summary>The capacity the driver is told, in bytes.</summary>
    public ulong CapacityBytes => _executor.Backend.CapacityBytes;

    /// <summary>Per-queue counters since creation (ended runs plus running ones); empty once torn down.</summary>
    public BlkQueueStats[] QueueStats() => _kernelLoop?.QueueStats() ?? [];

    /// <summary>
    /// Changes the capacity to <paramref name="bytes"/>: the backend first (a file grows before the
    /// driver may address the new range), then the config space's capacity field through
    /// VDUSE_DEV_SET_CONFIG, then a config interrupt, on which virtio_blk re-reads the capacity and
    /// resizes /dev/vdX in place. Returns the previous capacity; throws <see cref="VduseException"/>.
    /// </summary>
    public ulong Resize(ulong bytes, bool force)
    {
        lock (_resizeGate)
        {
            if (DeviceFd < 0 || _kernelLoop == null)
            {
                throw new VduseException(_name + " is not serving");
            }

            ulong old;
            try
            {
                old = BlkResize.Apply(_executor.Backend, _config.LogicalBlockSize, bytes, force);
            }
            catch (BackendException e)
            {
                throw new VduseException(e.Message, e);
            }

            if (old == bytes)
            {
                return old;
            }

            Errno e2 = WriteCapacity(bytes / VirtioBlk.SECTOR_SIZE);
            if (e2 != Errno.OK)
            {
                // Best effort back to where the driver still is: the backend shrinks without data loss.
                _executor.Backend.Resize(old);
                throw new VduseException("VDUSE_DEV_SET_CONFIG (capacity) failed: " + e2.Describe());
            }

            if (LibC.ioctl(DeviceFd, VduseUapi.VDUSE_DEV_INJECT_CONFIG_IRQ, null) < 0)
            {
                // EINVAL before DRIVER_OK (--no-attach): the driver reads the new capacity when it probes.
                Errno e3 = ErrnoExtensions.Last();
                Log.Write(e3 == Errno.EINVAL ? LogLevel.Info : LogLevel.Warn, _name, "config interrupt not delivered (" + e3.Describe()
                    + "): the driver sees the new capacity when it next reads the config space");
            }

            // A successor must serve the new size: the kernel keeps it in the config space.
            _state?.RecordCapacity(bytes);
            Log.Write(LogLevel.Info, _name, "capacity " + SizeText.Format(old) + " -> " + SizeText.Format(bytes));
            return old;
        }
    }

    private Errno WriteCapacity(ulong sectors)
    {
        byte* buffer = stackalloc byte[sizeof(vduse_config_data) + sizeof(ulong)];
        var header = (vduse_config_data*)buffer;
        header->offset = CapacityOffset;
        header->length = sizeof(ulong);

        // The config space is little-endian (virtio 1.x), like the host.
        *(ulong*)(buffer + sizeof(vduse_config_data)) = sectors;
        return LibC.ioctl(DeviceFd, VduseUapi.VDUSE_DEV_SET_CONFIG, buffer) < 0 ? ErrnoExtensions.Last() : Errno.OK;
    }
}
