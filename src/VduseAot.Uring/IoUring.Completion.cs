using System;
using System.Diagnostics;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Uring;

// The completion side. The kernel writes CQEs and then release-stores its tail; we read CQEs up to a
// cached copy of that tail and free them by release-storing our head.
public sealed unsafe partial class IoUring
{
    private readonly uint* cqKHead;      // ours: the kernel may reuse slots before it
    private readonly uint* cqKTail;      // kernel-owned: one past the last posted CQE
    private readonly uint* cqKOverflow;  // kernel-owned: CQEs lost to overflow (kernels without NODROP)
    private readonly uint cqMask;
    private readonly io_uring_cqe* cqes;

    private uint cqHead;        // private head: one past the last CQE consumed (mirrors *cqKHead)
    private uint cqTailCache;   // the kernel tail as last observed

    /// <summary>Completions waiting in the CQ (reads the kernel's tail).</summary>
    public uint CqReady => Volatile.Read(ref *cqKTail) - cqHead;

    /// <summary>Completions the kernel dropped because the CQ was full (only on kernels without IORING_FEAT_NODROP).</summary>
    public uint CqOverflow => Volatile.Read(ref *cqKOverflow);

    /// <summary>
    /// Copies the oldest unconsumed completion into <paramref name="cqe"/> without consuming it; call
    /// <see cref="Advance"/> once done with it. Returns false when the CQ is empty.
    /// </summary>
    public bool TryPeek(out io_uring_cqe cqe)
    {
        uint head = cqHead;
        if (head == cqTailCache && RefreshCqTail() == head)
        {
            cqe = default;
            return false;
        }

        cqe = cqes[head & cqMask];
        return true;
    }

    /// <summary>
    /// Copies up to <paramref name="into"/>.Length completions, oldest first, and consumes them (one head
    /// store for the batch). Returns how many were copied; 0 when the CQ is empty.
    /// </summary>
    public int Reap(Span<io_uring_cqe> into)
    {
        uint head = cqHead;
        uint ready = cqTailCache - head;
        if (ready < (uint)into.Length)
        {
            // The cached tail cannot fill the request: look at the kernel's (one load per batch, not per CQE).
            ready = RefreshCqTail() - head;
        }

        int n = (int)Math.Min(ready, (uint)into.Length);
        for (int i = 0; i < n; i++)
        {
            into[i] = cqes[(head + (uint)i) & cqMask];
        }

        if (n != 0)
        {
            Advance((uint)n);
        }

        return n;
    }

    /// <summary>Consumes <paramref name="count"/> completions, returning their slots to the kernel.</summary>
    public void Advance(uint count)
    {
        Debug.Assert(count <= cqTailCache - cqHead, "Advance past the completions seen by TryPeek/Reap");
        cqHead += count;

        // Release store: our reads of the consumed CQEs happen before the kernel can see their slots as
        // free and overwrite them.
        Volatile.Write(ref *cqKHead, cqHead);
    }

    /// <summary>Loads the kernel's CQ tail into the cache (flushing completions stuck in the kernel when the CQ is empty).</summary>
    private uint RefreshCqTail()
    {
        // Acquire load: observes every CQE the kernel wrote before its release store of this tail, so the
        // slots up to it can be read.
        uint tail = Volatile.Read(ref *cqKTail);
        if (tail == cqHead && CqNeedsFlush())
        {
            FlushCompletions();
            tail = Volatile.Read(ref *cqKTail);
        }

        cqTailCache = tail;
        return tail;
    }

    /// <summary>
    /// True when completions wait in the kernel rather than the CQ: the overflow list (IORING_SQ_CQ_OVERFLOW)
    /// or task work that needs a kernel entry (IORING_SQ_TASKRUN, with COOP_TASKRUN).
    /// </summary>
    private bool CqNeedsFlush()
        => (Volatile.Read(ref *sqKFlags) & (IoUringUapi.IORING_SQ_CQ_OVERFLOW | IoUringUapi.IORING_SQ_TASKRUN)) != 0;

    /// <summary>io_uring_enter(0, 0, GETEVENTS): moves waiting completions into the CQ without blocking.</summary>
    private void FlushCompletions()
    {
        while (true)
        {
            enterCalls++;
            if (Sys.io_uring_enter(RingFd, 0, 0, IoUringUapi.IORING_ENTER_GETEVENTS) >= 0)
            {
                return;
            }

            Errno errno = ErrnoExtensions.Last();
            if (errno is Errno.EINTR)
            {
                continue;
            }

            if (errno is Errno.EAGAIN or Errno.EBUSY)
            {
                return;
            }

            throw IoUringException.FromErrno("io_uring_enter (flushing completions)", errno);
        }
    }
}
