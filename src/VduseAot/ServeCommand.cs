using System;
using System.Runtime.InteropServices;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>`vduse-blk serve`: create, attach, announce, serve until a signal, tear down.</summary>
public static class ServeCommand
{
    /// <summary>Runs the daemon; returns the exit status.</summary>
    public static int Run(ServeOptions options)
    {
        Log.MinLevel = options.LogLevel;
        StartupClock.MarkStart(options.Name);
        if (!FinalizerThread.MakeIdle())
        {
            Log.Write(LogLevel.Debug, options.Name, "the runtime's finalizer thread was not found or not lowered to SCHED_IDLE");
        }

        using ManualResetEventSlim shutdown = WaitEvent.Create();
        bool keepDevice = false;
        Action<bool> requestStop = keep =>
        {
            keepDevice = keep;
            shutdown.Set();
        };
        Action<PosixSignalContext> onSignal = context =>
        {
            context.Cancel = true;
            requestStop(context.Signal == KeepDeviceSignal);
        };
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);
        using PosixSignalRegistration keep = PosixSignalRegistration.Create(KeepDeviceSignal, onSignal);

        DataPlaneOptions dataPlane = DataPlane(options);
        if (options.Vhost && VhostVdpaBinding.Missing() is string missing)
        {
            throw new VduseException(missing); // before anything is created: nothing to undo
        }

        var stateDir = new StateDirectory(options.StateDir);
        bool existing = VduseBlkDevice.Exists(options.Name);

        // First: a takeover's queue threads need nothing of what comes next (see TakeOverThreads).
        using TakeOverThreads? threads = existing
            ? TakeOverThreads.Start(options.Name, options.Device.Queues, options.Device.QueueSize, dataPlane)
            : null;
        if (options.Handover)
        {
            StartSuccessor(options, existing);
        }

        if (existing)
        {
            CheckBeforeTakeOver(options, stateDir);
            StartupClock.Mark(options.Name, "takeover checked (state file read, device not served)");
        }

        using HandoverReceiver? receiver = options.Handover ? new HandoverReceiver(stateDir, options.Name) : null;

        // A successor gets the listener from its predecessor, once the device is handed over.
        MetricsServer? metrics = options.MetricsListen is { } endpoint && receiver == null ? MetricsServer.Bind(endpoint) : null;
        using IBlockBackend backend = OpenBackend(options, stateDir, existing);
        StartupClock.Mark(options.Name, "backend opened");
        BlkDeviceConfig config = BlkDeviceConfig.For(options.Device, backend);
        var state = new DeviceStateOptions
        {
            Directory = stateDir,
            Force = options.Force,
            BackendIdentity = BackendIdentity(options),
            Handover = receiver != null ? receiver.Request : null,
            Threads = threads,
        };
        var device = new VduseBlkDevice(options.Name, config, backend, dataPlane, state);
        bool created = false;
        AdminServer? admin = null;
        try
        {
            var handler = new DaemonAdmin(new ServedDevice(options.Name, device, requestStop));
            if (receiver == null)
            {
                // Before the device (nothing is answered before ready): once a takeover's queues run,
                // they are busy with the guest's backlog, and what was left of this thread's start-up
                // then waited for the CPU (ready up to 16 ms after the last queue in TCG).
                admin = AdminServer.Listen(stateDir, options.Name, handler);
                StartupClock.Mark(options.Name, "control socket listening");
            }

            device.Create();
            created = true;
            if (receiver != null)
            {
                // The predecessor exits once told when the queues served again.
                device.WaitTakenOver();
                Log.Release(); // held from the handover on
                receiver.ReportPause(device.QueuesRunningAt);
                admin = receiver.Take(AdminProtocol.ControlFd) is { } control
                    ? AdminServer.Adopt(control, stateDir, options.Name, handler)
                    : AdminServer.Listen(stateDir, options.Name, handler);
                metrics = receiver.Take(AdminProtocol.MetricsFd) is { } listener ? MetricsServer.Adopt(listener)
                    : options.MetricsListen is { } again ? MetricsServer.Bind(again) : null;
                StartupClock.Mark(options.Name, "control socket listening");
            }

            admin!.Handover = new DaemonHandover(device, metrics, requestStop);
            metrics?.Start(options.Name, handler.Metrics);
            return Serve(options, device, shutdown, admin, receiver);
        }
        finally
        {
            Log.Release();

            // First, so a scrape never waits on the teardown and the port is free for the successor.
            metrics?.Dispose();

            // A successor that fails before it told its predecessor leaves it the device, which it takes back.
            bool leave = keepDevice || (receiver != null && !receiver.Confirmed);
            TearDown(options, stateDir, device, leave && created, created);

            // Last: a `vduse-blk stop` waiting on the socket returns once everything above is done.
            admin?.Dispose();
        }
    }

    /// <summary>
    /// `serve --handover`, as `upgrade` starts it: a session of its own (neither `upgrade` ending nor
    /// a Ctrl-C where it ran reaches the daemon), and a device to take over.
    /// </summary>
    private static void StartSuccessor(ServeOptions options, bool existing)
    {
        _ = Tmds.Linux.LibC.setsid();
        if (!existing)
        {
            throw new VduseException("no device '" + options.Name + "' to take over: --handover (what `vduse-blk upgrade` runs) needs the daemon that serves it");
        }
    }

    private static DataPlaneOptions DataPlane(ServeOptions options)
    {
        var dataPlane = new DataPlaneOptions
        {
            SqPoll = options.SqPoll,
            BounceSize = options.BounceSize,
            Cpus = options.Cpus,
            PollMicroseconds = options.PollMicroseconds,
        };
        dataPlane.CheckKernel(options.Backend == BackendKind.File, networkBackend: options.Backend is BackendKind.Nbd or BackendKind.NvmeTcp);
        return dataPlane;
    }

    /// <summary>The device's teardown before the accounting, so the totals include every queue; no accounting when nothing was served.</summary>
    private static void TearDown(ServeOptions options, StateDirectory stateDir, VduseBlkDevice device, bool keepDevice, bool created)
    {
        device.Dispose(keepDevice);
        if (device.Destroyed && options.Backend == BackendKind.Ram)
        {
            TryDelete(stateDir.RamImagePath(options.Name));
        }

        if (created)
        {
            ProcessAccounting.Report(options.Name, device.FinishedStats);
        }
    }

    /// <summary>SIGUSR1: exit but leave the device (and the guest's block device) for the next `serve` of the name.</summary>
    public const PosixSignal KeepDeviceSignal = (PosixSignal)10;

    private static string BackendIdentity(ServeOptions options) => options.Backend switch
    {
        BackendKind.Ram => "ram",
        BackendKind.Null => "null",
        BackendKind.Nbd => "nbd " + options.NbdUri!.Canonical,
        BackendKind.NvmeTcp => options.NvmeTcpIdentity(),
        _ => "file " + System.IO.Path.GetFullPath(options.FilePath!),
    };

    /// <summary>
    /// Refuses a takeover whose size or backend differs before the backend is opened: opening would
    /// resize a RAM image or extend a file the running device serves.
    /// </summary>
    private static void CheckBeforeTakeOver(ServeOptions options, StateDirectory stateDir)
    {
        StateFile? state = StateFile.Open(stateDir.StateFilePath(options.Name), out string? problem);
        if (!options.Handover)
        {
            VduseBlkDevice.CheckNotServed(options.Name, state?.OwnerPid ?? 0); // a handover's device is served: that is the point
        }
        if (state == null)
        {
            if (!options.Force)
            {
                throw new VduseException(VduseBlkDevice.NoStateRefusal(options.Name, problem!));
            }

            return; // --force takes it over with the settings given
        }

        DeviceIdentity running = state.Identity;
        state.Dispose();
        if (options.Backend == BackendKind.NvmeTcp && ServeOptions.RecordedHostNqn(running.Backend) is string hostNqn)
        {
            options.AdoptHostNqn(hostNqn); // the controller knows the device by it
        }

        ulong? capacity = options.Backend switch
        {
            BackendKind.File => options.FileSize ?? MappedFile.SizeOf(options.FilePath!),
            BackendKind.Nbd or BackendKind.NvmeTcp => null, // the server's, checked against the state once it answers
            _ => options.Device.CapacityBytes,
        };
        DeviceIdentity requested = running with
        {
            Backend = BackendIdentity(options),
            CapacityBytes = capacity is ulong c && c != 0 ? c : running.CapacityBytes,
            Queues = options.Device.Queues,
        };
        if (running.Difference(requested) is string difference)
        {
            throw new VduseException(VduseBlkDevice.ConfigurationRefusal(options.Name, difference));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (System.IO.IOException)
        {
            // Best effort: a stale image is recreated empty by the next new device of the name.
        }
    }

    private static int Serve(ServeOptions options, VduseBlkDevice device, ManualResetEventSlim shutdown, AdminServer admin, HandoverReceiver? receiver)
    {
        SystemdNotify systemd = SystemdNotify.FromEnvironment(options.Name);
        string status;
        if (options.Attach)
        {
            device.Attach(options.Vhost);
            device.WhenServing(() =>
            {
                Announce("ready " + options.Name + " " + device.BlockDevice);
                StartupClock.Mark(options.Name, "ready printed");
            });
            status = "serving " + options.Name + " on " + device.BlockDevice;
        }
        else
        {
            Announce("created " + options.Name + " " + device.DevicePath);
            status = "created " + device.DevicePath + " (not attached)";
        }

        if (receiver != null)
        {
            // The manager follows this process before the predecessor exits, so the unit stays up.
            systemd.Send("MAINPID=" + Environment.ProcessId + "\nREADY=1\nSTATUS=" + status + " (upgraded from pid " + receiver.FromPid + ")\n");
            receiver.Confirm();
            receiver.AdoptOutput();
        }
        else
        {
            systemd.Ready(status);
        }

        // The socket has listened since before the line; its thread starts now (see AdminServer.Listen).
        admin.BeginAnswering();
        WaitHandle.WaitAny([shutdown.WaitHandle, device.KernelLoopEnded]);
        if (device.HandedOverTo != 0)
        {
            return 0; // the unit goes on with the successor: no STOPPING=1
        }

        systemd.Stopping("tearing down " + options.Name);
        Exception? failure = device.KernelLoopFailure;
        if (failure != null)
        {
            throw new VduseException("the control thread stopped: " + failure.Message, failure);
        }

        Log.Write(LogLevel.Info, options.Name, "shutting down");
        return 0;
    }

    private static Network.Nbd.NbdBackend OpenNbd(ServeOptions options)
    {
        try
        {
            var nbd = Network.Nbd.NbdBackend.Open(options.NbdUri!, options.Device.ReadOnly, options.Device.LogicalBlockSize, options.Device.Queues, options.Device.QueueSize,
                options.ReconnectTimeoutSeconds, message => Log.Write(LogLevel.Warn, options.Name, message), out string? readOnlyReason);
            if (readOnlyReason != null)
            {
                Log.Write(LogLevel.Warn, options.Name, readOnlyReason);
            }

            return nbd;
        }
        catch (BackendException e)
        {
            throw new VduseException(e.Message, e);
        }
    }

    private static Network.NvmeTcp.NvmeTcpBackend OpenNvmeTcp(ServeOptions options)
    {
        try
        {
            return Network.NvmeTcp.NvmeTcpBackend.Open(options.ToNvmeTcpOptions(), options.Device.ReadOnly, options.Device.LogicalBlockSize,
                options.Device.Queues, options.Device.QueueSize, options.ReconnectTimeoutSeconds,
                message => Log.Write(LogLevel.Warn, options.Name, message), message => Log.Write(LogLevel.Debug, options.Name, message));
        }
        catch (BackendException e)
        {
            throw new VduseException(e.Message, e);
        }
    }

    private static unsafe IBlockBackend OpenBackend(ServeOptions options, StateDirectory stateDir, bool existing)
    {
        switch (options.Backend)
        {
            case BackendKind.Ram:
                // The disk lives in a shared file in the state directory (normally tmpfs, so it is
                // RAM all the same) so a successor process finds the bytes the guest wrote; a new
                // device starts from an empty image.
                stateDir.Create();
                return new RamBackend(MappedImage.Open(stateDir.RamImagePath(options.Name), options.Device.CapacityBytes, existing ? ImageOpen.KeepSameSize : ImageOpen.Fresh), options.Device.ReadOnly, "ram");
            case BackendKind.Null:
                return new NullBackend(options.Device.CapacityBytes, options.Device.ReadOnly);
            case BackendKind.Nbd:
                return OpenNbd(options);
            case BackendKind.NvmeTcp:
                return OpenNvmeTcp(options);
            default:
                try
                {
                    FileBackend file = FileBackend.Open(options.FilePath!, options.FileSize, options.Direct, options.Device.ReadOnly,
                        options.Device.LogicalBlockSize, out string? readOnlyReason);
                    if (readOnlyReason != null)
                    {
                        Log.Write(LogLevel.Warn, options.Name, readOnlyReason);
                    }

                    if (!options.Direct && MappedImage.IsOnMemoryFileSystem(options.FilePath!))
                    {
                        // A file on tmpfs is page cache already: copy to and from a shared mapping
                        // instead of a system call per request.
                        ulong capacity = file.CapacityBytes;
                        bool readOnly = file.ReadOnly;
                        file.Dispose();
                        return new RamBackend(MappedImage.Open(options.FilePath!, capacity, ImageOpen.UserFile, writable: !readOnly), readOnly, "file");
                    }

                    return file;
                }
                catch (BackendException e)
                {
                    throw new VduseException(e.Message, e);
                }
        }
    }

    private static void Announce(string line)
    {
        // Straight to the descriptor: nothing else of serve writes stdout, and Console's set-up would
        // come between the queues running again and the line that says so.
        StdStream.WriteLine(StdStream.Out, line);
    }
}
