using System;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// /dev/vhost-vdpa-N as a driver sees it: the vhost and vhost-vdpa ioctls (linux/vhost.h) and the
/// IOTLB messages (struct vhost_msg_v2) written to the same descriptor. Every failure is a
/// <see cref="DriverException"/> naming the call, except where a case wants the errno itself.
/// </summary>
public sealed unsafe class VhostDevice : IDisposable
{
    private readonly OwnedFd _fd;

    private VhostDevice(OwnedFd fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The character device.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/>, becomes its owner and switches IOTLB messages to v2.</summary>
    public static VhostDevice Open(string path)
    {
        OwnedFd fd = OwnedFd.FromResult(Sys.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC))
            ?? throw DriverException.FromErrno("open " + path + " (is vduse-blk serve --vhost running, vhost_vdpa loaded?)");
        var device = new VhostDevice(fd, path);
        try
        {
            device.Call(VhostUapi.VHOST_SET_OWNER, null, "VHOST_SET_OWNER");
            ulong backend = 0;
            device.Call(VhostUapi.VHOST_GET_BACKEND_FEATURES, &backend, "VHOST_GET_BACKEND_FEATURES");
            if ((backend & (1UL << VhostUapi.VHOST_BACKEND_F_IOTLB_MSG_V2)) == 0)
            {
                throw new DriverException(path + " does not offer VHOST_BACKEND_F_IOTLB_MSG_V2 (backend features 0x" + backend.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + ")");
            }

            backend = 1UL << VhostUapi.VHOST_BACKEND_F_IOTLB_MSG_V2;
            device.Call(VhostUapi.VHOST_SET_BACKEND_FEATURES, &backend, "VHOST_SET_BACKEND_FEATURES");
            uint id = 0;
            device.Call(VhostUapi.VHOST_VDPA_GET_DEVICE_ID, &id, "VHOST_VDPA_GET_DEVICE_ID");
            if (id != VirtioConstants.VIRTIO_ID_BLOCK)
            {
                throw new DriverException(path + " is virtio device " + id + ", not a block device (2)");
            }

            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>The features the device offers (VHOST_GET_FEATURES).</summary>
    public ulong DeviceFeatures()
    {
        ulong features = 0;
        Call(VhostUapi.VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
        return features;
    }

    /// <summary>VHOST_SET_FEATURES; returns the errno (OK on success) so a case can see a refusal.</summary>
    public Errno TrySetFeatures(ulong features) =>
        LibC.ioctl(_fd.Value, VhostUapi.VHOST_SET_FEATURES, &features) == 0 ? Errno.OK : ErrnoExtensions.Last();

    /// <summary>The largest ring the device takes (VHOST_VDPA_GET_VRING_NUM).</summary>
    public ushort MaxRingSize()
    {
        ushort num = 0;
        Call(VhostUapi.VHOST_VDPA_GET_VRING_NUM, &num, "VHOST_VDPA_GET_VRING_NUM");
        return num;
    }

    /// <summary>VHOST_VDPA_GET_STATUS.</summary>
    public byte Status()
    {
        byte status = 0;
        Call(VhostUapi.VHOST_VDPA_GET_STATUS, &status, "VHOST_VDPA_GET_STATUS");
        return status;
    }

    /// <summary>VHOST_VDPA_SET_STATUS (0 resets the device).</summary>
    public void SetStatus(byte status) => Call(VhostUapi.VHOST_VDPA_SET_STATUS, &status, "VHOST_VDPA_SET_STATUS 0x" + status.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Size, base index, IOVAs, kick and call eventfds of ring <paramref name="index"/>, then enables it.</summary>
    public void SetUpRing(uint index, ushort size, ulong desc, ulong avail, ulong used, int kickFd, int callFd)
    {
        var state = new vhost_vring_state { index = index, num = size };
        Call(VhostUapi.VHOST_SET_VRING_NUM, &state, "VHOST_SET_VRING_NUM " + index);
        state.num = 0;
        Call(VhostUapi.VHOST_SET_VRING_BASE, &state, "VHOST_SET_VRING_BASE " + index);
        var addr = new vhost_vring_addr { index = index, desc_user_addr = desc, avail_user_addr = avail, used_user_addr = used };
        Call(VhostUapi.VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR " + index);
        var file = new vhost_vring_file { index = index, fd = kickFd };
        Call(VhostUapi.VHOST_SET_VRING_KICK, &file, "VHOST_SET_VRING_KICK " + index);
        file.fd = callFd;
        Call(VhostUapi.VHOST_SET_VRING_CALL, &file, "VHOST_SET_VRING_CALL " + index);
        state.num = 1;
        Call(VhostUapi.VHOST_VDPA_SET_VRING_ENABLE, &state, "VHOST_VDPA_SET_VRING_ENABLE " + index);
    }

    /// <summary>
    /// One IOTLB message: map [<paramref name="iova"/>, +<paramref name="size"/>) to this process's
    /// <paramref name="uaddr"/> with <paramref name="perm"/> (VHOST_IOTLB_UPDATE), or unmap it
    /// (VHOST_IOTLB_INVALIDATE). The write returns once the daemon has answered the kernel's
    /// UPDATE_IOTLB message. Returns the errno (OK when written).
    /// </summary>
    public Errno TryIotlb(byte type, ulong iova, ulong size, ulong uaddr, byte perm)
    {
        var msg = new vhost_msg_v2 { type = VhostUapi.VHOST_IOTLB_MSG_V2 };
        msg.iotlb = new vhost_iotlb_msg { iova = iova, size = size, uaddr = uaddr, perm = perm, type = type };
        return LibC.write(_fd.Value, &msg, sizeof(vhost_msg_v2)) == sizeof(vhost_msg_v2) ? Errno.OK : ErrnoExtensions.Last();
    }

    private void Call(int request, void* arg, string what)
    {
        if (LibC.ioctl(_fd.Value, request, arg) < 0)
        {
            throw DriverException.FromErrno(what + " on " + Path);
        }
    }

    /// <summary>Closes the device (the kernel resets it).</summary>
    public void Dispose() => _fd.Dispose();
}
