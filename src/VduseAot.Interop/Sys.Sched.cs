using Tmds.Linux;

namespace VduseAot.Interop;

public static unsafe partial class Sys
{
    /// <summary>SYS_sched_setscheduler (x86-64).</summary>
    public const int SYS_sched_setscheduler = 144;

    /// <summary>SCHED_IDLE: runs only when nothing else wants the CPU (an unprivileged thread may choose it).</summary>
    public const int SCHED_IDLE = 5;

    /// <summary>sched_setscheduler(2) for thread <paramref name="tid"/> with priority 0; -1 and errno on failure.</summary>
    public static int SetScheduler(int tid, int policy)
    {
        int priority = 0; // struct sched_param: sched_priority, 0 for the non-real-time policies
        return (int)LibC.syscall(SYS_sched_setscheduler, tid, policy, &priority);
    }
}
