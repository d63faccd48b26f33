using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A virtio-blk device served through VDUSE, from creation to destruction: VDUSE_CREATE_DEV with the
/// block config space, VDUSE_VQ_SETUP per queue, the control thread, the vDPA attach, and the reverse
/// on <see cref="Dispose"/> (detach, stop, close, VDUSE_DESTROY_DEV), leaving nothing behind.
/// </summary>
public sealed unsafe partial class VduseBlkDevice : IDisposable
{
    private readonly string _name;
    private readonly BlkDeviceOptions _options;
    private readonly BlkExecutor _executor;
    private readonly DataPlaneOptions _dataPlane;
    private VduseControl? _control;
    private VdpaNetlink? _netlink;
    private ControlLoop? _loop;
    private int _deviceFd = -1;
    private bool _created;
    private bool _attached;

    /// <summary>Describes (does not create) device <paramref name="name"/> serving <paramref name="backend"/>.</summary>
    public VduseBlkDevice(string name, BlkDeviceOptions options, IBlockBackend backend, DataPlaneOptions dataPlane)
    {
        _dataPlane = dataPlane;
        _name = name;
        _options = options;
        _executor = new BlkExecutor(backend, options.Serial);
    }

    /// <summary>The /dev/vdX path once attached.</summary>
    public string? BlockDevice { get; private set; }

    /// <summary>Path of the VDUSE char device.</summary>
    public string DevicePath => "/dev/vduse/" + _name;

    /// <summary>Signalled if the control thread dies.</summary>
    public WaitHandle? ControlEnded => _loop?.Ended.WaitHandle;

    /// <summary>Counters of every queue run that has ended; complete once the device is disposed.</summary>
    public BlkQueueStats FinishedStats { get; private set; } = new();

    /// <summary>Why the control thread died, if it did.</summary>
    public Exception? ControlFailure => _loop?.Failure;

    /// <summary>Creates the VDUSE device, sets up its queues and starts answering the kernel.</summary>
    public void Create()
    {
        _control = new VduseControl();
        virtio_blk_config config = BlkConfigSpace.Build(_options);
        var configBytes = new ReadOnlySpan<byte>(&config, sizeof(virtio_blk_config));
        Errno e = _control.CreateDevice(_name, VirtioConstants.VIRTIO_ID_BLOCK, BlkConfigSpace.Features(_options), _options.Queues, configBytes);
        if (e != Errno.OK)
        {
            throw new VduseException(CreateFailure(e));
        }

        _created = true;
        _deviceFd = OpenDevice();
        for (uint i = 0; i < _options.Queues; i++)
        {
            vduse_vq_config vq = new() { index = i, max_size = _options.QueueSize };
            if (Libc.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP, &vq) < 0)
            {
                throw new VduseException("VDUSE_VQ_SETUP for queue " + i + " failed: " + ErrnoExtensions.Last().Describe());
            }
        }

        _loop = new ControlLoop(_name, _deviceFd, _options.Queues, _executor, _dataPlane);
        FinishedStats = _loop.Finished;
        _loop.Start();
        Log.Write(LogLevel.Info, _name, "created " + DevicePath + " (" + _executor.Backend.Describe() + ", " + _options.Queues + " queue(s) of " + _options.QueueSize + ")");
    }

    /// <summary>Attaches to the vDPA bus and waits for the block device to appear.</summary>
    public void Attach(int timeoutMs = 60000)
    {
        if (_dataPlane.BounceSize is ulong bounce)
        {
            SetBounceSize(bounce);
        }

        _netlink = new VdpaNetlink();
        _netlink.AddDevice(_name);
        _attached = true;
        BlockDevice = BlockDeviceLocator.Wait(_name, timeoutMs)
            ?? throw new VduseException("attached '" + _name + "' to the vDPA bus but no block device appeared within " + (timeoutMs / 1000)
                + " s: load virtio_vdpa and virtio_blk (modprobe virtio_vdpa virtio_blk)");
        Log.Write(LogLevel.Info, _name, "attached as " + BlockDevice);
    }

    /// <summary>The bounce buffer can only be sized while the device is off the vDPA bus.</summary>
    private void SetBounceSize(ulong bytes)
    {
        string path = "/sys/class/vduse/" + _name + "/bounce_size";
        if (!File.Exists(path))
        {
            throw new VduseException("--bounce-size: " + path + " does not exist (the kernel needs Linux 6.5 or later to size the bounce buffer)");
        }

        try
        {
            File.WriteAllText(path, bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException e)
        {
            throw new VduseException("--bounce-size " + bytes + " was refused by the kernel (" + e.Message + "): use 1M to 1G", e);
        }

        Log.Write(LogLevel.Info, _name, "bounce buffer " + SizeText.Format(bytes));
    }

    private string CreateFailure(Errno e)
    {
        string what = "VDUSE_CREATE_DEV '" + _name + "' failed: " + e.Describe() + "; ";
        return e switch
        {
            Errno.EEXIST when File.Exists(DevicePath) => what + "a VDUSE device with this name exists already (served by another process, or left over: `vduse-blk` cannot take it over yet)",
            Errno.EEXIST => what + "the kernel refused the name, likely a sysfs collision (names like 'vq0' clash with the kernel's per-queue directories): pick another name",
            Errno.EPERM or Errno.EACCES => what + "creating VDUSE devices needs CAP_SYS_ADMIN: run as root",
            Errno.EINVAL => what + "the kernel rejected the device configuration (features or config space)",
            _ => what + "see the kernel log (dmesg)",
        };
    }

    private int OpenDevice()
    {
        // devtmpfs creates the node synchronously, but a udev-managed /dev may lag a little.
        for (int attempt = 0; ; attempt++)
        {
            int fd = Libc.open(DevicePath, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            if (fd >= 0)
            {
                return fd;
            }

            Errno e = ErrnoExtensions.Last();
            if (e != Errno.ENOENT || attempt == 100)
            {
                throw new VduseException("cannot open " + DevicePath + ": " + e.Describe() + (e == Errno.EBUSY ? " (another process has it open)" : ""));
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Detaches, stops every thread, closes and destroys the device. Safe to call after a partial start.</summary>
    public void Dispose()
    {
        if (_attached && _netlink != null)
        {
            // Detaching makes virtio_blk reset the device, which needs the control thread still answering.
            Errno e = _netlink.DeleteDevice(_name);
            if (e != Errno.OK)
            {
                Log.Write(LogLevel.Warn, _name, "detaching from the vDPA bus failed: " + e.Describe());
            }

            _attached = false;
        }

        _netlink?.Dispose();
        _netlink = null;
        _loop?.Stop();
        _loop = null;
        if (_deviceFd >= 0)
        {
            _ = Libc.close(_deviceFd);
            _deviceFd = -1;
        }

        if (_created && _control != null)
        {
            Errno e = Errno.OK;
            for (int attempt = 0; attempt < 50; attempt++)
            {
                e = _control.DestroyDevice(_name);
                if (e != Errno.EBUSY)
                {
                    break;
                }

                Thread.Sleep(20);
            }

            if (e != Errno.OK)
            {
                Log.Write(LogLevel.Warn, _name, "VDUSE_DESTROY_DEV failed: " + e.Describe());
            }

            _created = false;
            Log.Write(LogLevel.Info, _name, "destroyed");
        }

        _control?.Dispose();
        _control = null;
    }

}
