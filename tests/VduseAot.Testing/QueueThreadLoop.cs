using System;
using System.Diagnostics;
using VduseAot.Block;
using VduseAot.Uring;
using VduseAot.Virtio;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Testing;

/// <summary>
/// A queue thread's loop for test rigs over a split ring and a real io_uring: Process, Submit, Reap,
/// OnCompletion, PublishUsed, and SubmitAndWait when there is nothing else to do.
/// </summary>
public static class QueueThreadLoop
{
    /// <summary>Reaps every completion waiting and passes it to <paramref name="queue"/>; returns how many.</summary>
    public static int ReapAndComplete(IoUring uring, BlkQueue<FakeGuestMemory> queue, Span<io_uring_cqe> cqes)
    {
        ArgumentNullException.ThrowIfNull(uring);
        ArgumentNullException.ThrowIfNull(queue);
        int total = 0;
        int n;
        while ((n = uring.Reap(cqes)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                queue.OnCompletion(cqes[i].user_data, cqes[i].res);
            }

            total += n;
        }

        return total;
    }

    /// <summary>
    /// One pass of the loop for a caller that adds requests as others complete: Process, Submit, and
    /// when that started nothing and nothing has completed while requests are in flight, SubmitAndWait
    /// for one completion; then Reap, OnCompletion, PublishUsed. Returns the completions reaped (some
    /// may be the connection's own, which complete no request).
    /// </summary>
    public static int Pass(IoUring uring, BlkQueue<FakeGuestMemory> queue, SplitQueue<FakeGuestMemory> ring, Span<io_uring_cqe> cqes)
    {
        ArgumentNullException.ThrowIfNull(uring);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(ring);
        int popped = queue.Process(int.MaxValue);
        uring.Submit();
        if (popped == 0 && uring.CqReady == 0 && queue.InFlight > 0)
        {
            uring.SubmitAndWait(1);
        }

        int reaped = ReapAndComplete(uring, queue, cqes);
        ring.PublishUsed();
        return reaped;
    }

    /// <summary>
    /// Serves until nothing is available or in flight, popping at most <paramref name="budget"/> chains a
    /// pass; <paramref name="afterProcess"/> runs after each Process. Throws after a minute without going idle.
    /// </summary>
    public static void RunUntilIdle(IoUring uring, BlkQueue<FakeGuestMemory> queue, SplitQueue<FakeGuestMemory> ring, Span<io_uring_cqe> cqes,
        int budget = int.MaxValue, Action? afterProcess = null)
    {
        ArgumentNullException.ThrowIfNull(uring);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(ring);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            int popped = queue.Process(budget);
            afterProcess?.Invoke();
            uring.Submit();
            int reaped = ReapAndComplete(uring, queue, cqes);
            ring.PublishUsed();
            if (popped == 0 && reaped == 0)
            {
                if (queue.InFlight == 0)
                {
                    return;
                }

                uring.SubmitAndWait(1);
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("queue did not go idle; in flight: " + queue.InFlight);
            }
        }
    }
}
