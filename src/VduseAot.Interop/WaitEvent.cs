using System.Threading;

namespace VduseAot.Interop;

/// <summary>
/// The daemon's one kind of thread-to-thread event: a <see cref="ManualResetEventSlim"/> that blocks
/// at once instead of spinning first. The threads waited for share the CPUs with the guest and are
/// pinned: a waiter spinning on the CPU of the thread it waits for only delays it. Under TCG it is
/// worse: each PAUSE of a spin hands the host thread to another vCPU, and the runtime's first spin
/// schedules its PAUSE calibration on the finalizer thread, which kept a starting daemon's threads
/// off their CPUs for 25-100 ms (measured in the live-upgrade pause).
/// </summary>
public static class WaitEvent
{
    /// <summary>A new event, unset unless <paramref name="set"/>.</summary>
    public static ManualResetEventSlim Create(bool set = false) => new(set, spinCount: 0);
}
