namespace VduseAot.Uring;

/// <summary>How <see cref="IoUring"/> asks io_uring_setup(2) to build the ring.</summary>
public sealed class IoUringOptions
{
    /// <summary>The defaults: no SQPOLL, the kernel's CQ size (twice the SQ), no optional flags.</summary>
    public static IoUringOptions Default { get; } = new();

    /// <summary>CQ entries (IORING_SETUP_CQSIZE); 0 leaves the kernel's default of twice the SQ entries.</summary>
    public uint CqEntries { get; init; }

    /// <summary>
    /// IORING_SETUP_SQPOLL: a kernel thread polls the SQ, so <see cref="IoUring.Submit"/> makes no syscall
    /// while that thread is awake. Costs a CPU spinning for <see cref="SqThreadIdleMs"/> after each burst.
    /// </summary>
    public bool SqPoll { get; init; }

    /// <summary>Milliseconds the SQPOLL thread keeps polling an empty SQ before it sleeps; 0 is the kernel's default (1 s).</summary>
    public uint SqThreadIdleMs { get; init; }

    /// <summary>CPU to pin the SQPOLL thread to (IORING_SETUP_SQ_AFF); negative leaves it to the scheduler.</summary>
    public int SqThreadCpu { get; init; } = -1;

    /// <summary>
    /// IORING_SETUP_SINGLE_ISSUER (6.0): promise that only the creating thread submits, which lets the
    /// kernel skip locking. Create the ring on the thread that will use it. Dropped if the kernel refuses it.
    /// </summary>
    public bool SingleIssuer { get; init; }

    /// <summary>
    /// IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG (5.19): completions are finished at the next
    /// kernel entry instead of by interrupting this thread; the ring flags when such an entry is needed, and
    /// <see cref="IoUring.TryPeek"/>/<see cref="IoUring.Reap"/> make it. Ignored with SQPOLL (the kernel
    /// rejects the combination) and dropped if the kernel refuses it.
    /// </summary>
    public bool CoopTaskrun { get; init; }
}
