using System;
using System.Text;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The VDUSE control device /dev/vduse/control: API version negotiation, creating and destroying
/// devices. (Not the kernel's per-device messages, <see cref="KernelMessageLoop"/>, nor the operator's
/// admin socket.)
/// </summary>
public sealed unsafe class VduseControlDevice : IDisposable
{
    /// <summary>Path of the control node.</summary>
    public const string ControlPath = "/dev/vduse/control";

    private readonly OwnedFd _fd;

    /// <summary>Opens the control node and settles on the API version this code speaks.</summary>
    public VduseControlDevice()
    {
        _fd = OpenControlNode();
        try
        {
            ApiVersion = NegotiateApiVersion(_fd.Value);
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    private static OwnedFd OpenControlNode()
    {
        OwnedFd? fd = OwnedFd.FromResult(Sys.Open(ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0));
        if (fd is not null)
        {
            return fd;
        }

        Errno e = ErrnoExtensions.Last();
        throw new VduseException(e switch
        {
            Errno.ENOENT or Errno.ENODEV => ControlPath + " does not exist: load the vduse kernel module (modprobe vduse)",
            Errno.EACCES or Errno.EPERM => "no permission to open " + ControlPath + " (" + e.Describe() + "): run vduse-blk as root"
                + " (sudo, or the systemd unit in contrib/); it needs read-write access to " + ControlPath + " and CAP_NET_ADMIN to attach the disk",
            _ => "cannot open " + ControlPath + ": " + e.Describe(),
        });
    }

    private static ulong NegotiateApiVersion(int fd)
    {
        ulong version = 0;
        if (LibC.ioctl(fd, VduseUapi.VDUSE_GET_API_VERSION, &version) < 0)
        {
            throw new VduseException("VDUSE_GET_API_VERSION failed: " + ErrnoExtensions.Last().Describe());
        }

        ulong chosen = Math.Min(version, VduseUapi.VDUSE_API_VERSION);
        if (LibC.ioctl(fd, VduseUapi.VDUSE_SET_API_VERSION, &chosen) < 0)
        {
            throw new VduseException("VDUSE_SET_API_VERSION " + chosen + " failed: " + ErrnoExtensions.Last().Describe());
        }

        return chosen;
    }

    /// <summary>The negotiated API version.</summary>
    public ulong ApiVersion { get; }

    /// <summary>VDUSE_CREATE_DEV. Returns the errno so the caller can tell "exists" from other failures.</summary>
    public Errno CreateDevice(string name, uint deviceId, ulong features, uint queues, ReadOnlySpan<byte> config)
    {
        int total = sizeof(vduse_dev_config) + config.Length;
        byte* buffer = stackalloc byte[total];
        new Span<byte>(buffer, total).Clear();
        var dev = (vduse_dev_config*)buffer;
        WriteName(dev->name, name);
        dev->vendor_id = 0x1af4;
        dev->device_id = deviceId;
        dev->features = features;
        dev->vq_num = queues;
        dev->vq_align = 4096;
        dev->config_size = (uint)config.Length;
        config.CopyTo(new Span<byte>(buffer + sizeof(vduse_dev_config), config.Length));
        return LibC.ioctl(_fd.Value, VduseUapi.VDUSE_CREATE_DEV, buffer) < 0 ? ErrnoExtensions.Last() : Errno.OK;
    }

    /// <summary>VDUSE_DESTROY_DEV. Returns the errno (EBUSY while the device is attached or open).</summary>
    public Errno DestroyDevice(string name)
    {
        byte* buffer = stackalloc byte[vduse_dev_config.VDUSE_NAME_MAX];
        WriteName(buffer, name);
        return LibC.ioctl(_fd.Value, VduseUapi.VDUSE_DESTROY_DEV, buffer) < 0 ? ErrnoExtensions.Last() : Errno.OK;
    }

    private static void WriteName(byte* destination, string name)
    {
        var span = new Span<byte>(destination, vduse_dev_config.VDUSE_NAME_MAX);
        span.Clear();
        Encoding.UTF8.GetBytes(name, span.Slice(0, vduse_dev_config.VDUSE_NAME_MAX - 1));
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
