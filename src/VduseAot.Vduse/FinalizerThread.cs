using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The runtime's finalizer thread, made SCHED_IDLE when the daemon starts. Besides finalizers (the
/// daemon needs none to run promptly), it runs the runtime's PAUSE calibration the first time
/// anything spins: in TCG, where each PAUSE hands the host thread to another vCPU, that took some
/// 100 ms of CPU at every start, on the CPUs a takeover or an upgrade's successor needs. Idle, it
/// waits until they are free.
/// </summary>
public static class FinalizerThread
{
    private const string Comm = ".NET Finalizer";

    /// <summary>Finds the thread in /proc/self/task by name and lowers it; false when it was not found or refused.</summary>
    public static bool MakeIdle()
    {
        foreach (string task in DirectoryEntries.Subdirectories("/proc/self/task"))
        {
            if (int.TryParse(task, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int tid)
                && Sys.ReadText("/proc/self/task/" + task + "/comm")?.TrimEnd('\n') == Comm)
            {
                return Sys.SetScheduler(tid, Sys.SCHED_IDLE) == 0;
            }
        }

        return false;
    }
}
