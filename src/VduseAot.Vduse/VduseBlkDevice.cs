using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A virtio-blk device served through VDUSE, from creation to destruction: VDUSE_CREATE_DEV with the
/// block config space, VDUSE_VQ_SETUP per queue, the kernel message thread, the vDPA attach, and the reverse
/// on <see cref="Dispose()"/> (detach, stop, close, VDUSE_DESTROY_DEV), leaving nothing behind.
/// </summary>
public sealed unsafe partial class VduseBlkDevice : IDisposable
{
    private readonly string _name;
    private readonly BlkDeviceConfig _config;
    private readonly BlkExecutor _executor;
    private readonly DataPlaneOptions _dataPlane;
    private VduseControlDevice? _controlDevice;
    private VdpaNetlink? _netlink;
    private KernelMessageLoop? _kernelLoop;
    private OwnedFd? _device;
    private bool _created;
    private bool _attached;
    private readonly DeviceStateOptions _stateOptions;
    private StateFile? _state;

    /// <summary>Describes (does not create) device <paramref name="name"/> serving <paramref name="backend"/>.</summary>
    public VduseBlkDevice(string name, BlkDeviceConfig config, IBlockBackend backend, DataPlaneOptions dataPlane, DeviceStateOptions state)
    {
        _stateOptions = state;
        _dataPlane = dataPlane;
        _name = name;
        _config = config;
        _executor = new BlkExecutor(backend, config.Serial);
    }

    /// <summary>The /dev/vdX path once attached.</summary>
    public string? BlockDevice { get; private set; }

    /// <summary>Path of the VDUSE char device.</summary>
    public string DevicePath => NodePath(_name);

    /// <summary>Signalled if the kernel message thread dies (whichever loop runs: a handover that fails starts a new one).</summary>
    public WaitHandle KernelLoopEnded => _loopEnded.WaitHandle;

    private readonly ManualResetEventSlim _loopEnded = WaitEvent.Create();

    /// <summary>Counters of every queue run that has ended; complete once the device is disposed.</summary>
    public BlkQueueStats FinishedStats { get; private set; } = new();

    /// <summary>Why the kernel message thread died, if it did.</summary>
    public Exception? KernelLoopFailure => _kernelLoop?.Failure;

    /// <summary>The device existed and this process took it over from a predecessor.</summary>
    public bool TookOver { get; private set; }

    /// <summary>The device was destroyed by <see cref="Dispose()"/> (not left for a successor).</summary>
    public bool Destroyed { get; private set; }

    /// <summary>The configuration this process serves, as recorded in the state file.</summary>
    public DeviceIdentity Identity => new()
    {
        Features = BlkConfigSpace.Features(_config),
        Queues = _config.Queues,
        QueueSize = _config.QueueSize,
        LogicalBlockSize = _config.LogicalBlockSize,
        CapacityBytes = _executor.Backend.CapacityBytes,
        ReadOnly = _config.ReadOnly,
        Backend = _stateOptions.BackendIdentity,
    };

    /// <summary>True when a VDUSE device named <paramref name="name"/> exists (served or left for a successor).</summary>
    public static bool Exists(string name) => File.Exists(NodePath(name));

    private static string NodePath(string name) => "/dev/vduse/" + name;

    /// <summary>Opens the device's node; -1 with errno set on failure (EBUSY: another process has it open).</summary>
    private static OwnedFd? OpenNode(string name) => OwnedFd.FromResult(Sys.Open(NodePath(name), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0));

    /// <summary>The open device node, borrowed by the kernel loop and the queue threads; -1 when closed.</summary>
    private int DeviceFd => _device?.Value ?? -1;

    /// <summary>
    /// Creates the VDUSE device, sets up its queues and starts answering the kernel; or, when a device
    /// of this name was left by a predecessor (VDUSE_CREATE_DEV says EEXIST and /dev/vduse/NAME exists),
    /// takes it over from its state file.
    /// </summary>
    public void Create()
    {
        _stateOptions.Directory.Create();
        _controlDevice = new VduseControlDevice();
        StartupClock.Mark(_name, "control device opened");
        DeviceIdentity identity = Identity;
        virtio_blk_config config = BlkConfigSpace.Build(_config, _executor.Backend.CapacityBytes);
        var configBytes = new ReadOnlySpan<byte>(&config, sizeof(virtio_blk_config));
        Errno e = _controlDevice.CreateDevice(_name, VirtioConstants.VIRTIO_ID_BLOCK, identity.Features, _config.Queues, configBytes);
        if (e == Errno.EEXIST && File.Exists(DevicePath))
        {
            TakeOver(identity);
            return;
        }

        if (e != Errno.OK)
        {
            throw new VduseException(CreateFailure(e));
        }

        _created = true;
        _state = StateFile.Create(StatePath, identity);
        _state.OwnerPid = Environment.ProcessId;
        _device = OpenDevice();
        for (uint i = 0; i < _config.Queues; i++)
        {
            vduse_vq_config vq = new() { index = i, max_size = _config.QueueSize };
            if (LibC.ioctl(DeviceFd, VduseUapi.VDUSE_VQ_SETUP, &vq) < 0)
            {
                throw new VduseException("VDUSE_VQ_SETUP for queue " + i + " failed: " + ErrnoExtensions.Last().Describe());
            }
        }

        StartKernelLoop(QueueStart.Fresh);
        Log.Write(LogLevel.Info, _name, "created " + DevicePath + " (" + _executor.Backend.Describe() + ", " + _config.Queues + " queue(s) of " + _config.QueueSize + ")");
    }

    private string StatePath => _stateOptions.Directory.StateFilePath(_name);

    /// <summary>
    /// Opens a device a predecessor left (its process exited for an upgrade, or crashed), checks that
    /// this process would serve it unchanged, and restarts its queues from the journals. Refusals
    /// leave the device exactly as it was.
    /// </summary>
    private void TakeOver(DeviceIdentity identity)
    {
        StateFile? state = StateFile.Open(StatePath, out string? problem);
        StartupClock.Mark(_name, "state file mapped");
        QueueStart mode = QueueStart.Resume;
        OwnedFd fd;

        // Before the device: its queues' threads and rings need nothing of it. A crash's successor
        // opens the device meanwhile (the guest waits already); a handover's waits for them, so that
        // their set-up is not done during the running daemon's pause.
        PreparedQueues prepared = _stateOptions.Threads?.Take(_config.Queues, _config.QueueSize)
            ?? new PreparedQueues(_name, _config.Queues, _config.QueueSize, _dataPlane);

        // Also before the device: the disk the predecessor left on the bus, which "ready" names.
        _presentNode = BlockDeviceLocator.Present(_name);
        if (_stateOptions.Handover != null)
        {
            prepared.WaitReady(5000);
            StartupClock.Mark(_name, "queue threads and rings made");
        }

        try
        {
            fd = _stateOptions.Handover is { } handover ? ReceiveHandedOver(handover, state, problem, identity) : OpenForTakeOver(state, problem, identity);
        }
        catch
        {
            prepared.Dispose();
            throw;
        }

        if (state == null)
        {
            // Only without a handover (which refuses a missing state file): --force.
            Log.Write(LogLevel.Warn, _name, problem + "; --force: taking the device over without its requests in flight");
            state = StateFile.Create(StatePath, identity);
            state.Status = DriverLooksLive(fd.Value) ? (byte)0x0f : (byte)0;
            mode = QueueStart.Adopt;
        }

        _device = fd;
        _created = true;
        _state = state!;
        TookOver = true;
        Log.Write(LogLevel.Info, _name, "taking over " + DevicePath + " from pid " + _state.OwnerPid + " (" + _executor.Backend.Describe() + ")");
        _state.OwnerPid = Environment.ProcessId;
        StartKernelLoop(mode, prepared);
    }

    /// <summary>The device node opened for a takeover, or a refusal (served elsewhere, no state, other settings) that leaves it as it was.</summary>
    private OwnedFd OpenForTakeOver(StateFile? state, string? problem, DeviceIdentity identity)
    {
        OwnedFd? fd = OpenNode(_name);
        if (fd is null)
        {
            Errno e = ErrnoExtensions.Last();
            int owner = state?.OwnerPid ?? 0;
            state?.Dispose();
            throw new VduseException(OpenRefusal(_name, e, owner));
        }

        StartupClock.Mark(_name, "device opened");
        string? refusal = state == null
            ? (_stateOptions.Force ? null : NoStateRefusal(_name, problem!))
            : state.Identity.Difference(identity) is string difference ? ConfigurationRefusal(_name, difference) : null;
        if (refusal != null)
        {
            // Closing our descriptor hands any message we might have been sent back to the queue.
            fd.Dispose();
            state?.Dispose();
            throw new VduseException(refusal);
        }

        return fd;
    }

    /// <summary>
    /// Throws when another process serves the existing device <paramref name="name"/>: a takeover is
    /// checked before anything it would touch (a RAM image, a file) is opened.
    /// </summary>
    public static void CheckNotServed(string name, int ownerPid)
    {
        // Opening and closing is harmless: nothing was read, so nothing is handed back to the kernel.
        using OwnedFd? fd = OpenNode(name);
        if (fd is null)
        {
            throw new VduseException(OpenRefusal(name, ErrnoExtensions.Last(), ownerPid));
        }
    }

    /// <summary>The refusal for a device left without a usable state file.</summary>
    public static string NoStateRefusal(string name, string problem) =>
        "cannot take over device '" + name + "': " + problem + "; --force takes it over anyway (requests it had in flight are lost)";

    /// <summary>The refusal for a takeover whose settings differ from the running device's.</summary>
    public static string ConfigurationRefusal(string name, string difference) =>
        "device '" + name + "' is running with another configuration: " + difference
        + "; serve it with the same settings, or stop it first (vduse-blk stop " + name + ") — it was left untouched";

    private static string OpenRefusal(string name, Errno e, int ownerPid) => e == Errno.EBUSY
        ? "device '" + name + "' is served by another process" + (ownerPid > 0 ? " (pid " + ownerPid + ")" : "") + ": stop it first (vduse-blk stop " + name + ", or SIGTERM) or pick another --name"
        : "cannot open " + NodePath(name) + ": " + e.Describe();

    /// <summary>Without a state file: the driver negotiated features and enabled queue 0.</summary>
    private static bool DriverLooksLive(int fd)
    {
        ulong features = 0;
        vduse_vq_info info = new() { index = 0 };
        return LibC.ioctl(fd, VduseUapi.VDUSE_DEV_GET_FEATURES, &features) == 0 && features != 0
            && LibC.ioctl(fd, VduseUapi.VDUSE_VQ_GET_INFO, &info) == 0 && info.ready != 0;
    }

    private void StartKernelLoop(QueueStart mode, PreparedQueues? prepared = null)
    {
        _kernelLoop = new KernelMessageLoop(_name, DeviceFd, _config.Queues, BlkConfigSpace.Features(_config), _executor, _dataPlane, _state, mode,
            _loopEnded, FinishedStats, prepared)
        {
            ThreadAfterQueues = prepared != null && _stateOptions.Handover != null,
        };
        FinishedStats = _kernelLoop.Finished;
        _kernelLoop.Start();
    }

    /// <summary>
    /// After a takeover, waits until every queue the driver had running serves again (at once
    /// otherwise): the guest's I/O waits for that, so the daemon's other start-up work (the control
    /// socket, metrics) comes after it.
    /// </summary>
    public void WaitTakenOver(int timeoutMs = 60000)
    {
        if (TookOver && !_takenOver)
        {
            _kernelLoop?.TakeOverDone.Wait(timeoutMs);
            _kernelLoop?.Progress?.QueuesRunning.Wait(timeoutMs);
            _takenOver = true;
        }
    }

    /// <summary>
    /// Runs <paramref name="announce"/> once the device serves: at once, unless a takeover's queues
    /// are still resuming, when the last of them runs it on its thread (no wake-up of this one between
    /// the ring serving and the line); returns once it ran.
    /// </summary>
    public void WhenServing(Action announce, int timeoutMs = 60000)
    {
        ArgumentNullException.ThrowIfNull(announce);
        if (TookOver && _kernelLoop is { } loop)
        {
            loop.TakeOverDone.Wait(timeoutMs);
            if (loop.Progress is { } progress)
            {
                progress.WhenRunning(announce, timeoutMs);
                return;
            }
        }

        announce();
    }

    private bool _takenOver;

    /// <summary>After <see cref="WaitTakenOver"/>: when the last queue taken over served again (a Stopwatch timestamp; 0: none ran).</summary>
    public long QueuesRunningAt => _kernelLoop?.QueuesRunningAt ?? 0;

    // A takeover's node on the bus, looked up before the device was opened; null otherwise.
    private string? _presentNode;

    /// <summary>
    /// Attaches to the vDPA bus and waits for the block device to appear; with <paramref name="vhost"/>,
    /// hands the device to vhost_vdpa and waits for /dev/vhost-vdpa-N instead (kept in
    /// <see cref="BlockDevice"/>).
    /// </summary>
    public void Attach(bool vhost = false, int timeoutMs = 60000)
    {
        if (vhost && VhostVdpaBinding.Missing() is string missing)
        {
            throw new VduseException(missing);
        }

        // Still on the bus from the predecessor: the guest (or the VM) never saw the device go. Its
        // queues may be resuming still: "ready" waits for them (WhenServing).
        bool onBus = TookOver && (_presentNode != null || BlockDeviceLocator.VdpaDeviceExists(_name));
        if (onBus)
        {
            _attached = true;
        }
        else
        {
            if (_dataPlane.BounceSize is ulong bounce)
            {
                SetBounceSize(bounce);
            }

            _netlink = new VdpaNetlink();
            _netlink.AddDevice(_name);
            _attached = true;
        }

        if (onBus && _presentNode != null && _presentNode.StartsWith(vhost ? "/dev/vhost-vdpa-" : "/dev/vd", StringComparison.Ordinal))
        {
            BlockDevice = _presentNode; // found before the device was opened: the rings come first
        }
        else if (vhost)
        {
            VhostVdpaBinding.Bind(_name);
            BlockDevice = BlockDeviceLocator.WaitVhost(_name, timeoutMs)
                ?? throw new VduseException("bound '" + _name + "' to vhost_vdpa but no /dev/vhost-vdpa-N appeared within " + (timeoutMs / 1000) + " s");
        }
        else
        {
            BlockDevice = BlockDeviceLocator.Wait(_name, timeoutMs) ?? throw new VduseException(onBus
                ? "'" + _name + "' is on the vDPA bus but has no block device: load virtio_blk (modprobe virtio_blk)"
                : "attached '" + _name + "' to the vDPA bus but no block device appeared within " + (timeoutMs / 1000)
                    + " s: load virtio_vdpa and virtio_blk (modprobe virtio_vdpa virtio_blk)");
        }

        Log.Write(LogLevel.Info, _name, (onBus ? "serving " : "attached as ") + BlockDevice + (onBus ? " again" : ""));
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
            Errno.EEXIST => what + "the kernel refused the name, likely a sysfs collision (names like 'vq0' clash with the kernel's per-queue directories): pick another name",
            Errno.EPERM or Errno.EACCES => what + "creating VDUSE devices needs CAP_SYS_ADMIN: run as root",
            Errno.EINVAL => what + "the kernel rejected the device configuration (features or config space)",
            _ => what + "see the kernel log (dmesg)",
        };
    }

    private OwnedFd OpenDevice()
    {
        // devtmpfs creates the node synchronously, but a udev-managed /dev may lag a little.
        for (int attempt = 0; ; attempt++)
        {
            OwnedFd? fd = OpenNode(_name);
            if (fd is not null)
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
    public void Dispose() => Dispose(keepDevice: false);

    /// <summary>
    /// With <paramref name="keepDevice"/> (and a device to keep): <see cref="LeaveForSuccessor"/>.
    /// Otherwise as <see cref="Dispose()"/>.
    /// </summary>
    public void Dispose(bool keepDevice)
    {
        if (keepDevice && _created)
        {
            LeaveForSuccessor();
        }
        else
        {
            DetachAndDestroy();
        }
    }

    /// <summary>
    /// Finishes the requests in flight, stops every thread and closes the device but leaves it (and the
    /// block device the guest uses) in place with its state file, for a successor `serve` of the name.
    /// </summary>
    private void LeaveForSuccessor()
    {
        StopKernelLoop();
        _state?.Dispose();
        _state = null;
        _netlink?.Dispose();
        _netlink = null;
        _controlDevice?.Dispose();
        _controlDevice = null;
        Log.Write(LogLevel.Info, _name, HandedOverTo != 0
            ? "exited: pid " + HandedOverTo + " serves " + DevicePath + (BlockDevice != null ? " and " + BlockDevice : "")
            : "exited leaving " + DevicePath + (BlockDevice != null ? " and " + BlockDevice : "") + " for the next `serve --name " + _name + "`");
    }

    /// <summary>Detaches from the vDPA bus, stops every thread, closes the device and destroys it with its state file.</summary>
    private void DetachAndDestroy()
    {
        Detach();
        StopKernelLoop();
        if (_created && _controlDevice != null)
        {
            Destroy(_controlDevice);
        }

        _state?.Dispose();
        _state = null;
        _controlDevice?.Dispose();
        _controlDevice = null;
    }

    private void Detach()
    {
        if (_attached && _netlink == null)
        {
            _netlink = new VdpaNetlink();
        }

        if (_attached && _netlink != null)
        {
            // Detaching makes virtio_blk reset the device, which needs the kernel message thread still answering.
            Errno e = _netlink.DeleteDevice(_name);
            if (e != Errno.OK)
            {
                Log.Write(LogLevel.Warn, _name, "detaching from the vDPA bus failed: " + e.Describe());
            }

            _attached = false;
        }

        _netlink?.Dispose();
        _netlink = null;
    }

    /// <summary>VDUSE_DESTROY_DEV, retried while the kernel still holds the device (EBUSY); the state file goes with it.</summary>
    private void Destroy(VduseControlDevice controlDevice)
    {
        Errno e = Errno.OK;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            e = controlDevice.DestroyDevice(_name);
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
        else
        {
            Destroyed = true;
            _state?.Delete();
            _state = null;
        }

        _created = false;
        Log.Write(LogLevel.Info, _name, "destroyed");
    }

    private void StopKernelLoop()
    {
        ReleaseParked(); // a stop during a handover's pause: the parked queues clean up and end
        _kernelLoop?.Stop();
        _kernelLoop = null;
        CloseDevice();
    }

    private void CloseDevice()
    {
        _device?.Dispose();
        _device = null;
    }
}
