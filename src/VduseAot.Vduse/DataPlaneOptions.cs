using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Vduse;

/// <summary>How the queue threads run.</summary>
public sealed class DataPlaneOptions
{
    /// <summary>Give each queue's io_uring a kernel submission thread (IORING_SETUP_SQPOLL).</summary>
    public bool SqPoll { get; init; }

    /// <summary>CPUs for the queue threads, queue i on Cpus[i % Length]; null: spread over the allowed CPUs.</summary>
    public int[]? Cpus { get; init; }

    /// <summary>Busy-poll the avail ring this long after the last request before sleeping (0: never poll).</summary>
    public int PollMicroseconds { get; init; }

    /// <summary>The CPU for queue <paramref name="queue"/>.</summary>
    public int CpuFor(uint queue)
    {
        int[] cpus = Cpus ?? (_allowed ??= CpuAffinity.Allowed());
        return cpus.Length == 0 ? -1 : cpus[(int)(queue % (uint)cpus.Length)];
    }

    private int[]? _allowed;

    /// <summary>VDUSE bounce buffer size to set before attaching (sysfs bounce_size), or null for the kernel's default.</summary>
    public ulong? BounceSize { get; init; }

    /// <summary>The io_uring options for a queue thread's ring.</summary>
    public IoUringOptions RingOptions() => new()
    {
        SqPoll = SqPoll,
        SqThreadIdleMs = SqPoll ? 1000u : 0u,

        // SINGLE_ISSUER cannot be combined with SQPOLL's kernel submitter on older kernels.
        SingleIssuer = !SqPoll,
        CoopTaskrun = !SqPoll,
    };

    /// <summary>
    /// Checks at start-up that this kernel's io_uring has every opcode the data plane will use, so a
    /// missing one is one clear error now rather than failed requests later.
    /// </summary>
    public void CheckKernel(bool fileBackend, bool networkBackend = false)
    {
        try
        {
            using var probeRing = new IoUring(8, RingOptions());
            IoUringProbe probe = probeRing.Probe();
            probe.RequireOpcodes((IoUringUapi.IORING_OP_READ, "READ"));
            if (fileBackend)
            {
                probe.RequireOpcodes(
                    (IoUringUapi.IORING_OP_READV, "READV"),
                    (IoUringUapi.IORING_OP_WRITEV, "WRITEV"),
                    (IoUringUapi.IORING_OP_FSYNC, "FSYNC"),
                    (IoUringUapi.IORING_OP_FALLOCATE, "FALLOCATE"));
            }

            if (networkBackend)
            {
                probe.RequireOpcodes(
                    (IoUringUapi.IORING_OP_SENDMSG, "SENDMSG"),
                    (IoUringUapi.IORING_OP_RECVMSG, "RECVMSG"),
                    (IoUringUapi.IORING_OP_POLL_ADD, "POLL_ADD"),
                    (IoUringUapi.IORING_OP_TIMEOUT, "TIMEOUT"));
            }
        }
        catch (IoUringException e)
        {
            throw new VduseException(e.Message, e);
        }
    }
}
