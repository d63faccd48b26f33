using System;
using System.IO;
using VduseAot.Interop;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Uring.Tests;

/// <summary>IORING_SETUP_SQPOLL: the kernel thread consumes the SQ; Submit enters only to wake it.</summary>
public sealed unsafe class SqPollTests(ITestOutputHelper output)
{
    [Fact]
    public void SqPoll_ring_writes_and_reads_and_mostly_submits_without_a_syscall()
    {
        IoUring ring;
        try
        {
            ring = new IoUring(16, new IoUringOptions { SqPoll = true, SqThreadIdleMs = 2000 });
        }
        catch (IoUringException e)
        {
            // We run as root on a kernel that allows SQPOLL for everyone since 5.11: any refusal is a failure
            // worth reading, not a skip.
            string disabled = File.Exists("/proc/sys/kernel/io_uring_disabled") ? File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim() : "n/a";
            Assert.Fail($"SQPOLL ring setup failed: {e.Message} (euid {Environment.UserName}, kernel.io_uring_disabled={disabled})");
            return;
        }

        using (ring)
        using (var scratch = new Scratch())
        using (var src = new NativeBuffer(8192))
        using (var dst = new NativeBuffer(8192))
        {
            Assert.True(ring.IsSqPoll);
            Assert.True((ring.SetupFlags & IoUringUapi.IORING_SETUP_SQPOLL) != 0);
            Assert.True((ring.Features & IoUringUapi.IORING_FEAT_SQPOLL_NONFIXED) != 0, "SQPOLL needs registered files before Linux 5.11");

            int fd = scratch.Open("sqpoll", new byte[8192]);
            byte[] expected = Ring.Pattern(8192, 9);
            expected.CopyTo(src.Span);

            SqePrep.Write(Ring.Sqe(ring), fd, src.Ptr, 8192, 0, 1);
            Ring.AssertOk(Ring.One(ring, 1), 8192);
            SqePrep.Read(Ring.Sqe(ring), fd, dst.Ptr, 8192, 0, 2);
            Ring.AssertOk(Ring.One(ring, 2), 8192);
            Assert.True(dst.Span.SequenceEqual(expected));

            // While the SQPOLL thread is awake (2 s idle), Submit only publishes the tail; completions are
            // polled without entering the kernel.
            const int rounds = 50;
            ulong before = ring.EnterCalls;
            for (int i = 0; i < rounds; i++)
            {
                SqePrep.Nop(Ring.Sqe(ring), 100 + (ulong)i);
                _ = ring.Submit();
                DateTime deadline = DateTime.UtcNow + Ring.Timeout;
                io_uring_cqe cqe;
                while (!ring.TryPeek(out cqe))
                {
                    Assert.True(DateTime.UtcNow < deadline, $"round {i}: the SQPOLL thread did not complete a NOP");
                }

                ring.Advance(1);
                Assert.Equal(100 + (ulong)i, cqe.user_data);
            }

            ulong entered = ring.EnterCalls - before;
            output.WriteLine($"{entered} io_uring_enter calls for {rounds} SQPOLL submissions");
            Assert.True(entered < rounds / 2, $"{entered} io_uring_enter calls for {rounds} SQPOLL submissions");
        }
    }
}
