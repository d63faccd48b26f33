using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Uring;

// The submission side. SQEs are handed out against a private tail (sqeTail) that the kernel cannot see;
// Submit publishes all of them with one release store of the shared tail, then enters the kernel only
// when it has to.
public sealed unsafe partial class IoUring
{
    private readonly bool sqPoll;
    private readonly uint* sqKHead;   // kernel-owned: advanced as the kernel consumes SQEs
    private readonly uint* sqKTail;   // ours: the shared tail the kernel reads
    private readonly uint* sqKFlags;  // kernel-owned: IORING_SQ_* bits
    private readonly uint sqMask;
    private readonly io_uring_sqe* sqes;

    private uint sqeTail;       // private tail: one past the last SQE handed out by NextSqe
    private uint sqPublished;   // the value last stored to *sqKTail
    private uint sqHeadCache;   // the kernel head as last observed
    private ulong enterCalls;

    /// <summary>SQEs handed out by <see cref="NextSqe"/> that the kernel has not consumed yet.</summary>
    public uint SqPending => sqeTail - Volatile.Read(ref *sqKHead);

    /// <summary>Free SQ slots: how many more times <see cref="NextSqe"/> will succeed before a submit.</summary>
    public uint SqSpaceLeft => SqEntries - SqPending;

    /// <summary>
    /// The next free SQE, zeroed; when the SQ is full, submits what is queued and tries again (a few
    /// times: with SQPOLL the kernel thread may need a moment). Null only when the kernel takes none.
    /// </summary>
    public io_uring_sqe* NextSqeSubmittingIfFull()
    {
        io_uring_sqe* sqe = NextSqe();
        for (int attempt = 0; sqe == null && attempt < 3; attempt++)
        {
            Submit();
            sqe = NextSqe();
        }

        return sqe;
    }

    /// <summary>
    /// The next free SQE, zeroed, or null when the SQ is full (submit, and with SQPOLL wait for
    /// completions, then retry). The SQE belongs to the caller until the next <see cref="Submit"/>.
    /// </summary>
    public io_uring_sqe* NextSqe()
    {
        uint tail = sqeTail;
        if (tail - sqHeadCache >= SqEntries)
        {
            // Acquire: the kernel releases its head only after it has copied the SQEs out, so once we
            // see the new head those slots may be overwritten (this matters with SQPOLL, where the
            // kernel thread consumes concurrently).
            sqHeadCache = Volatile.Read(ref *sqKHead);
            if (tail - sqHeadCache >= SqEntries)
            {
                return null;
            }
        }

        io_uring_sqe* sqe = &sqes[tail & sqMask];
        *sqe = default;
        sqeTail = tail + 1;
        return sqe;
    }

    /// <summary>
    /// Publishes every SQE prepared since the last call and, unless a running SQPOLL thread will pick them
    /// up, tells the kernel with io_uring_enter. Returns the number of SQEs the kernel consumed (with SQPOLL
    /// and no syscall: the number published and not yet consumed).
    /// </summary>
    /// <remarks>
    /// EINTR is retried. EAGAIN and EBUSY (the kernel is short of memory for requests, or completions wait in
    /// its overflow list) return 0: the SQEs stay published and are sent by the next Submit, so reap
    /// completions and call again. A return below the published count means the kernel stopped at an SQE it
    /// could not prepare; that SQE has a failed CQE and the rest follow with the next Submit.
    /// </remarks>
    /// <exception cref="IoUringException">io_uring_enter failed otherwise (e.g. the ring was closed).</exception>
    public int Submit() => SubmitAndWait(0, 0);

    /// <summary>
    /// Like <see cref="Submit"/>, then waits (IORING_ENTER_GETEVENTS) until at least
    /// <paramref name="minComplete"/> completions are in the CQ. Always enters the kernel. The wait is
    /// skipped if the kernel stopped early at an SQE it could not prepare.
    /// </summary>
    public int SubmitAndWait(uint minComplete) => SubmitAndWait(minComplete, IoUringUapi.IORING_ENTER_GETEVENTS);

    private int SubmitAndWait(uint minComplete, uint flags)
    {
        uint toSubmit = Publish();
        bool enter;
        if (sqPoll)
        {
            enter = false;
            if (toSubmit != 0)
            {
                // Full fence between our tail store (Publish) and the flags load, as liburing's
                // io_uring_smp_mb(): the SQPOLL thread sets NEED_WAKEUP and then re-checks the tail
                // before sleeping, so with the fence on both sides either it sees our tail or we see
                // its flag. A release/acquire pair alone would let the load pass the store and both
                // sides miss each other, leaving SQEs unsubmitted until the next wake-up.
                Interlocked.MemoryBarrier();
                if ((Volatile.Read(ref *sqKFlags) & IoUringUapi.IORING_SQ_NEED_WAKEUP) != 0)
                {
                    flags |= IoUringUapi.IORING_ENTER_SQ_WAKEUP;
                    enter = true;
                }
            }
        }
        else
        {
            enter = toSubmit != 0;
        }

        // Completions stuck in the kernel (overflow list, or deferred task work with COOP_TASKRUN) are only
        // flushed into the CQ by an enter with GETEVENTS.
        if ((flags & IoUringUapi.IORING_ENTER_GETEVENTS) != 0 || CqNeedsFlush())
        {
            flags |= IoUringUapi.IORING_ENTER_GETEVENTS;
            enter = true;
        }

        if (!enter)
        {
            return (int)toSubmit;
        }

        while (true)
        {
            enterCalls++;
            int ret = Sys.io_uring_enter(RingFd, toSubmit, minComplete, flags);
            if (ret >= 0)
            {
                return ret;
            }

            Errno errno = ErrnoExtensions.Last();
            if (errno == Errno.EINTR)
            {
                // A signal before anything was consumed: recount and retry.
                toSubmit = sqPublished - Volatile.Read(ref *sqKHead);
                continue;
            }

            if (errno is Errno.EAGAIN or Errno.EBUSY)
            {
                return 0;
            }

            throw IoUringException.FromErrno("io_uring_enter", errno);
        }
    }

    /// <summary>Stores the private tail into the shared one; returns how many published SQEs the kernel has not consumed.</summary>
    private uint Publish()
    {
        uint tail = sqeTail;
        if (tail != sqPublished)
        {
            sqPublished = tail;

            // Release store, once per batch: every SQE field written since the last Submit (and the index
            // array written at setup) becomes visible to the kernel before the tail that covers them. The
            // kernel reads the tail with an acquire and then the SQEs up to it.
            Volatile.Write(ref *sqKTail, tail);
        }

        return tail - Volatile.Read(ref *sqKHead);
    }
}
