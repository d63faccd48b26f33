using System;
using VduseAot.Interop;
using Xunit;

namespace VduseAot.Uring.Tests;

/// <summary>The hot path (NextSqe, prep, Submit, Reap, TryPeek, Advance) must allocate nothing.</summary>
public sealed unsafe class AllocationTests
{
    private const int Batch = 32;

    [Fact]
    public void Hundred_thousand_nops_in_batches_of_32_allocate_nothing()
    {
        using var ring = new IoUring(64);
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[Batch];

        // Warm-up: let tiered JIT settle on everything the loop touches.
        Assert.Equal(2000L * Batch, Drive(ring, cqes, 2000));

        long before = GC.GetAllocatedBytesForCurrentThread();
        long completed = Drive(ring, cqes, 100_000 / Batch + 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(completed >= 100_000, $"{completed} completions");
        Assert.Equal(0, allocated);
    }

    // Optimized from the start: at tier 0 the on-stack replacement of this loop can charge a few
    // bytes to the thread now and then, which is the JIT's and not the code under test's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static long Drive(IoUring ring, Span<io_uring_cqe> cqes, int rounds)
    {
        long completed = 0;
        long userDataSum = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < Batch; i++)
            {
                io_uring_sqe* sqe = ring.NextSqe();
                if (sqe == null)
                {
                    return -1;
                }

                SqePrep.Nop(sqe, (ulong)i);
            }

            if (ring.Submit() != Batch)
            {
                return -2;
            }

            int got = 0;
            while (got < Batch)
            {
                // Alternate the two ways of consuming: Reap for a batch, TryPeek + Advance for one.
                if ((r & 1) == 0)
                {
                    int n = ring.Reap(cqes);
                    for (int i = 0; i < n; i++)
                    {
                        userDataSum += (long)cqes[i].user_data;
                    }

                    got += n;
                    if (n == 0)
                    {
                        _ = ring.SubmitAndWait(1);
                    }
                }
                else if (ring.TryPeek(out io_uring_cqe cqe))
                {
                    userDataSum += (long)cqe.user_data;
                    ring.Advance(1);
                    got++;
                }
                else
                {
                    _ = ring.SubmitAndWait(1);
                }
            }

            completed += got;
        }

        // Each batch carries user_data 0..31.
        return userDataSum == (long)rounds * (Batch * (Batch - 1) / 2) ? completed : -3;
    }
}
