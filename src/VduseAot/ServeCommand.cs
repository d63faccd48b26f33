using System;
using System.Runtime.InteropServices;
using System.Threading;
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
        using var shutdown = new ManualResetEventSlim();
        Action<PosixSignalContext> onSignal = context =>
        {
            context.Cancel = true;
            shutdown.Set();
        };
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);

        var dataPlane = new DataPlaneOptions
        {
            SqPoll = options.SqPoll,
            BounceSize = options.BounceSize,
            Cpus = options.Cpus,
            PollMicroseconds = options.PollMicroseconds,
        };
        dataPlane.CheckKernel(options.Backend == BackendKind.File);
        using IBlockBackend backend = OpenBackend(options);
        options.Device.CapacityBytes = backend.CapacityBytes;
        options.Device.ReadOnly = backend.ReadOnly;
        options.Device.Features = backend.Features;
        var device = new VduseBlkDevice(options.Name, options.Device, backend, dataPlane);
        bool created = false;
        ControlServer? control = null;
        try
        {
            device.Create();
            created = true;
            control = ControlServer.Start(options.StateDir, options.Name, new DaemonControl(new ServedDevice(options.Name, device, shutdown)));
            return Serve(options, device, shutdown);
        }
        finally
        {
            // Teardown first, so the totals include every queue; no accounting when nothing was served.
            device.Dispose();
            if (created)
            {
                ProcessAccounting.Report(options.Name, device.FinishedStats);
            }

            // Last: a `vduse-blk stop` waiting on the socket returns once everything above is done.
            control?.Dispose();
        }
    }

    private static int Serve(ServeOptions options, VduseBlkDevice device, ManualResetEventSlim shutdown)
    {
        SystemdNotify systemd = SystemdNotify.FromEnvironment(options.Name);
        if (options.Attach)
        {
            device.Attach();
            Announce("ready " + options.Name + " " + device.BlockDevice);
            systemd.Ready("serving " + options.Name + " on " + device.BlockDevice);
        }
        else
        {
            Announce("created " + options.Name + " " + device.DevicePath);
            systemd.Ready("created " + device.DevicePath + " (not attached)");
        }

        WaitHandle.WaitAny([shutdown.WaitHandle, device.ControlEnded!]);
        systemd.Stopping("tearing down " + options.Name);
        Exception? failure = device.ControlFailure;
        if (failure != null)
        {
            throw new VduseException("the control thread stopped: " + failure.Message, failure);
        }

        Log.Write(LogLevel.Info, options.Name, "shutting down");
        return 0;
    }

    private static IBlockBackend OpenBackend(ServeOptions options)
    {
        switch (options.Backend)
        {
            case BackendKind.Ram:
                return new RamBackend(options.Device.CapacityBytes, options.Device.ReadOnly);
            case BackendKind.Null:
                return new NullBackend(options.Device.CapacityBytes, options.Device.ReadOnly);
            default:
                try
                {
                    FileBackend file = FileBackend.Open(options.FilePath!, options.FileSize, options.Direct, options.Device.ReadOnly,
                        options.Device.LogicalBlockSize, out string? readOnlyReason);
                    if (readOnlyReason != null)
                    {
                        Log.Write(LogLevel.Warn, options.Name, readOnlyReason);
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
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
