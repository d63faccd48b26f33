using System;
using System.Collections.Generic;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using Xunit;
using Xunit.Abstractions;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Uring.Tests;

/// <summary>SQ/CQ mechanics with NOPs: round trips, batching, full SQ, CQ wrap-around and overflow.</summary>
public sealed unsafe class RingTests(ITestOutputHelper output)
{
    [Fact]
    public void Nop_round_trip_returns_user_data()
    {
        using var ring = new IoUring(8);
        Assert.True(ring.Fd >= 0);
        Assert.Equal(8u, ring.SqEntries);
        Assert.Equal(16u, ring.CqEntries);

        SqePrep.Nop(Ring.Sqe(ring), 0xDEAD_BEEF_0000_0001);
        Assert.Equal(1, ring.Submit());
        io_uring_cqe cqe = Ring.One(ring, 0xDEAD_BEEF_0000_0001);
        Assert.Equal(0, cqe.res);
        Assert.False(ring.TryPeek(out _));
    }

    [Fact]
    public void TryPeek_does_not_consume_until_Advance()
    {
        using var ring = new IoUring(4);
        SqePrep.Nop(Ring.Sqe(ring), 7);
        _ = ring.SubmitAndWait(1);
        Assert.True(ring.TryPeek(out io_uring_cqe first));
        Assert.True(ring.TryPeek(out io_uring_cqe again));
        Assert.Equal(7ul, first.user_data);
        Assert.Equal(first.user_data, again.user_data);
        Assert.Equal(1u, ring.CqReady);
        ring.Advance(1);
        Assert.Equal(0u, ring.CqReady);
        Assert.False(ring.TryPeek(out _));
    }

    [Fact]
    public void Batch_of_64_nops_takes_one_submit_and_all_are_reaped()
    {
        using var ring = new IoUring(64);
        for (ulong i = 0; i < 64; i++)
        {
            SqePrep.Nop(Ring.Sqe(ring), 1000 + i);
        }

        Assert.Equal(64u, ring.SqPending);
        ulong before = ring.EnterCalls;
        Assert.Equal(64, ring.Submit());
        Assert.Equal(before + 1, ring.EnterCalls);
        Assert.Equal(0u, ring.SqPending);

        var seen = new HashSet<ulong>();
        foreach (io_uring_cqe cqe in Ring.Complete(ring, 64))
        {
            Assert.Equal(0, cqe.res);
            Assert.True(seen.Add(cqe.user_data), $"user_data {cqe.user_data} completed twice");
        }

        for (ulong i = 0; i < 64; i++)
        {
            Assert.Contains(1000 + i, seen);
        }
    }

    [Fact]
    public void Submit_with_nothing_prepared_makes_no_syscall()
    {
        using var ring = new IoUring(8);
        ulong before = ring.EnterCalls;
        Assert.Equal(0, ring.Submit());
        Assert.Equal(before, ring.EnterCalls);
    }

    [Fact]
    public void Full_SQ_returns_null_and_recovers_after_submit_and_reap()
    {
        using var ring = new IoUring(8);
        for (ulong i = 0; i < 8; i++)
        {
            SqePrep.Nop(Ring.Sqe(ring), i);
        }

        Assert.Equal(0u, ring.SqSpaceLeft);
        Assert.True(ring.NextSqe() == null);
        Assert.True(ring.NextSqe() == null);

        Assert.Equal(8, Ring.Complete(ring, 8).Length);
        Assert.Equal(8u, ring.SqSpaceLeft);
        SqePrep.Nop(Ring.Sqe(ring), 99);
        Ring.One(ring, 99);
    }

    [Fact]
    public void A_full_SQ_is_submitted_to_make_room_when_asked()
    {
        using var ring = new IoUring(8);
        for (ulong i = 0; i < 8; i++)
        {
            SqePrep.Nop(Ring.Sqe(ring), i);
        }

        ulong before = ring.EnterCalls;
        io_uring_sqe* sqe = ring.NextSqeSubmittingIfFull();
        Assert.True(sqe != null);
        Assert.Equal(before + 1, ring.EnterCalls); // one submit of the 8 queued NOPs made the room
        SqePrep.Nop(sqe, 8);
        Assert.Equal(9, Ring.Complete(ring, 9).Length);
    }

    [Fact]
    public void CQ_wraps_around_over_many_rounds_in_order()
    {
        using var ring = new IoUring(8);   // CQ of 16: 12 rounds of 8 wrap it six times
        ulong next = 0;
        for (int round = 0; round < 12; round++)
        {
            ulong first = next;
            for (int i = 0; i < 8; i++)
            {
                SqePrep.Nop(Ring.Sqe(ring), next++);
            }

            io_uring_cqe[] cqes = Ring.Complete(ring, 8);
            for (int i = 0; i < 8; i++)
            {
                // NOPs complete inline, in submission order.
                Assert.Equal(first + (ulong)i, cqes[i].user_data);
            }
        }

        Assert.Equal(0u, ring.CqReady);
        Assert.Equal(0u, ring.CqOverflow);
    }

    [Fact]
    public void Completions_beyond_the_CQ_wait_in_the_kernel_and_are_flushed_by_Reap()
    {
        using var ring = new IoUring(4, new IoUringOptions { CqEntries = 4 });
        Assert.True((ring.Features & IoUringUapi.IORING_FEAT_NODROP) != 0, "this kernel lacks IORING_FEAT_NODROP (Linux >= 5.5)");
        Assert.Equal(4u, ring.CqEntries);

        // 16 completions into a CQ of 4 without reaping: 12 go to the kernel's overflow list.
        for (ulong i = 0; i < 16; i++)
        {
            SqePrep.Nop(Ring.Sqe(ring), i);
            if (i % 4 == 3)
            {
                Assert.Equal(4, ring.Submit());
            }
        }

        Assert.Equal(4u, ring.CqReady);
        var seen = new List<ulong>();
        Span<io_uring_cqe> batch = stackalloc io_uring_cqe[3];
        while (seen.Count < 16)
        {
            // Reap flushes the overflow list into the CQ once the CQ is empty.
            int n = ring.Reap(batch);
            Assert.True(n > 0, $"stuck after {seen.Count} completions");
            for (int i = 0; i < n; i++)
            {
                seen.Add(batch[i].user_data);
            }
        }

        for (int i = 0; i < 16; i++)
        {
            Assert.Equal((ulong)i, seen[i]);
        }

        Assert.Equal(0u, ring.CqOverflow);
    }

    [Fact]
    public void Setup_errors_name_the_call_and_errno()
    {
        var e = Assert.Throws<IoUringException>(() => new IoUring(0));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("io_uring_setup(entries=0", e.Message, StringComparison.Ordinal);
        Assert.Contains("EINVAL", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_flags_are_accepted_by_this_kernel_and_completions_arrive_by_polling_alone()
    {
        using var ring = new IoUring(8, new IoUringOptions { SingleIssuer = true, CoopTaskrun = true });
        const uint wanted = IoUringUapi.IORING_SETUP_SINGLE_ISSUER | IoUringUapi.IORING_SETUP_COOP_TASKRUN | IoUringUapi.IORING_SETUP_TASKRUN_FLAG;
        Assert.Equal(wanted, ring.SetupFlags & wanted);

        using var scratch = new Scratch();
        int fd = scratch.Open("coop", Ring.Pattern(8192, 5));
        using var buffer = new NativeBuffer(8192);

        // With COOP_TASKRUN a completion may wait as task work for a kernel entry; TryPeek must make that
        // entry when the ring says so (IORING_SQ_TASKRUN), so a thread that only polls still sees it.
        SqePrep.Read(Ring.Sqe(ring), fd, buffer.Ptr, 8192, 0, 42);
        Assert.Equal(1, ring.Submit());
        io_uring_cqe cqe = PollOne(ring);
        Assert.Equal(42ul, cqe.user_data);
        Ring.AssertOk(cqe, 8192);
        Assert.True(buffer.Span.SequenceEqual(Ring.Pattern(8192, 5)));

        // A poll completed by an eventfd write from another thread: the kernel queues the completion as task
        // work for this thread without an IPI; it runs at this thread's next kernel entry, which is either a
        // timer tick or TryPeek's flush once IORING_SQ_TASKRUN is raised (the output says which).
        int efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        Assert.True(efd >= 0);
        try
        {
            SqePrep.PollAdd(Ring.Sqe(ring), efd, (uint)LibC.POLLIN, 43);
            Assert.Equal(1, ring.Submit());
            ulong before = ring.EnterCalls;
            var signaller = new Thread(() =>
            {
                ulong one = 1;
                _ = LibC.write(efd, &one, 8);
            });
            signaller.Start();
            cqe = PollOne(ring);
            signaller.Join();
            output.WriteLine($"{ring.EnterCalls - before} io_uring_enter call(s) to see a COOP_TASKRUN poll completion by polling");
            Assert.Equal(43ul, cqe.user_data);
            Assert.True((cqe.res & LibC.POLLIN) != 0, $"poll res {cqe.res}");
        }
        finally
        {
            _ = LibC.close(efd);
        }
    }

    private static io_uring_cqe PollOne(IoUring ring)
    {
        DateTime deadline = DateTime.UtcNow + Ring.Timeout;
        io_uring_cqe cqe;
        while (!ring.TryPeek(out cqe))
        {
            Assert.True(DateTime.UtcNow < deadline, "no completion by polling within the timeout");
        }

        ring.Advance(1);
        return cqe;
    }

    [Fact]
    public void Dispose_twice_is_harmless()
    {
        var ring = new IoUring(2);
        ring.Dispose();
        ring.Dispose();
        Assert.Equal(-1, ring.Fd);
    }
}
