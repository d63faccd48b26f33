using System;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <content>
/// A live upgrade, both sides. The running daemon pauses (its queues finish what is in flight and
/// record their rings; its kernel message thread stops between messages), passes the open device
/// to its successor, and exits once the successor serves, or resumes if it does not. The successor
/// takes the device over from the state file as after a crash, with the descriptor it was given.
/// </content>
public sealed unsafe partial class VduseBlkDevice
{
    private bool _paused;

    // The paused queues' workers, whose threads clean up while the successor starts.
    private QueueWorker[] _parked = [];

    /// <summary>The process the device was handed to (0: none): the teardown then leaves the device to it.</summary>
    public int HandedOverTo { get; private set; }

    /// <summary>
    /// Stops serving for a handover; <paramref name="whenParked"/> runs with the device descriptor to
    /// pass (still owned here) and when the queues were told to stop (a Stopwatch timestamp, the start
    /// of the guest's pause), on the thread of the last queue to stop, before this returns: passing
    /// the device from there spares the pause a wake-up. Throws <see cref="VduseException"/> when
    /// there is nothing to hand over.
    /// </summary>
    public void PauseForHandover(Action<int, long> whenParked)
    {
        if (_paused || _kernelLoop == null || _device == null || _state == null || !_created)
        {
            throw new VduseException(_name + " is not serving a device that can be handed over");
        }

        int fd = _device.Value;
        _parked = _kernelLoop.Pause(pausedAt => whenParked(fd, pausedAt));
        _kernelLoop = null;
        _paused = true;
        Log.Write(LogLevel.Info, _name, "paused for a handover: every request in flight completed");
    }

    /// <summary>The successor serves: this process's teardown leaves the device to <paramref name="pid"/>.</summary>
    public void HandedOver(int pid)
    {
        HandedOverTo = pid;
        ReleaseParked();
        Log.Write(LogLevel.Info, _name, "handed " + DevicePath + " over to pid " + pid);
    }

    /// <summary>
    /// The handover failed and the successor is gone: serve again from the state file, exactly as a
    /// takeover would (the successor may have resumed the rings before it died).
    /// </summary>
    public void ResumeAfterHandover()
    {
        if (!_paused)
        {
            return;
        }

        _paused = false;
        ReleaseParked();
        _state!.OwnerPid = Environment.ProcessId;
        StartKernelLoop(QueueStart.Resume);
        Log.Write(LogLevel.Info, _name, "serving again after a failed handover");
    }

    private void ReleaseParked()
    {
        foreach (QueueWorker w in _parked)
        {
            w.Release();
        }

        _parked = [];
    }

    /// <summary>A live upgrade's successor: asks the running daemon for the device once the configuration matches.</summary>
    private OwnedFd ReceiveHandedOver(Func<OwnedFd> handover, StateFile? state, string? problem, DeviceIdentity identity)
    {
        string? refusal = state == null
            ? "cannot upgrade device '" + _name + "': " + problem + " (the running daemon was left serving)"
            : state.Identity.Difference(identity) is string difference ? ConfigurationRefusal(_name, difference) : null;
        if (refusal != null)
        {
            state?.Dispose();
            throw new VduseException(refusal);
        }

        try
        {
            // Released once the queues run (ServeCommand): the guest's I/O waits from here on.
            Log.Hold();
            OwnedFd fd = handover();
            StartupClock.Mark(_name, "device handed over");
            return fd;
        }
        catch
        {
            state!.Dispose();
            throw;
        }
    }
}
