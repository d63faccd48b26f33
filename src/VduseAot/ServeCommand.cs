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
        using var shutdown = new ManualResetEventSlim();
        Action<PosixSignalContext> onSignal = context =>
        {
            context.Cancel = true;
            shutdown.Set();
        };
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);

        using IBlockBackend backend = new RamBackend(options.Device.CapacityBytes, options.Device.ReadOnly);
        using var device = new VduseBlkDevice(options.Name, options.Device, backend);
        device.Create();
        if (options.Attach)
        {
            device.Attach();
            Announce("ready " + options.Name + " " + device.BlockDevice);
        }
        else
        {
            Announce("created " + options.Name + " " + device.DevicePath);
        }

        WaitHandle.WaitAny([shutdown.WaitHandle, device.ControlEnded!]);
        Exception? failure = device.ControlFailure;
        if (failure != null)
        {
            throw new VduseException("the control thread stopped: " + failure.Message, failure);
        }

        Log.Write(LogLevel.Info, options.Name, "shutting down");
        return 0;
    }

    private static void Announce(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
