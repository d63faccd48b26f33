using System;
using Tmds.Linux;
using VduseAot.Interop;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Uring;

/// <summary>
/// Ending the eventfd reads a loop keeps armed on its ring (a queue thread's kick and wake-up
/// reads). An armed read holds the address of its 8-byte counter: if the caller's memory goes (a
/// stack frame returns) while the kernel still holds the read, the next signal of the eventfd
/// writes there. Closing the ring does not help, its teardown runs later and a signal may come
/// first. So each read is completed on purpose and its completion reaped before the memory goes.
/// </summary>
public static unsafe class EventFdReads
{
    /// <summary>
    /// Signals every eventfd in <paramref name="fds"/>, each of which has exactly one read armed (or
    /// prepared and not submitted) on <paramref name="ring"/> with the user_data at the same index of
    /// <paramref name="tags"/>, and waits until every one of those reads has completed; nothing is
    /// re-armed. Other completions reaped meanwhile are copied to <paramref name="others"/> for the
    /// caller; returns how many. Throws when more arrive than <paramref name="others"/> holds.
    /// </summary>
    public static int Retire(IoUring ring, ReadOnlySpan<int> fds, ReadOnlySpan<ulong> tags, Span<io_uring_cqe> others)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (fds.Length != tags.Length || fds.Length > 64)
        {
            throw new ArgumentException("one tag per eventfd, at most 64", nameof(tags));
        }

        // A value in each counter completes its read at once, armed or submitted later by the waits below.
        ulong one = 1;
        foreach (int fd in fds)
        {
            _ = LibC.write(fd, &one, sizeof(ulong));
        }

        ulong pending = fds.Length == 64 ? ulong.MaxValue : (1UL << fds.Length) - 1;
        int otherCount = 0;
        Span<io_uring_cqe> batch = stackalloc io_uring_cqe[16];
        while (pending != 0)
        {
            _ = ring.SubmitAndWait(1);
            int n = ring.Reap(batch);
            for (int i = 0; i < n; i++)
            {
                int at = tags.IndexOf(batch[i].user_data);
                if (at >= 0)
                {
                    pending &= ~(1UL << at);
                }
                else if (otherCount < others.Length)
                {
                    others[otherCount++] = batch[i];
                }
                else
                {
                    throw new IoUringException("more than " + others.Length + " other completions while retiring the eventfd reads");
                }
            }
        }

        return otherCount;
    }
}
