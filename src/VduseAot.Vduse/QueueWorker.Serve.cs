using System;
using System.Threading;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using VduseAot.Virtio;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Vduse;

/// <content>The serving loop: the hot path. No allocation, no locks, one io_uring_enter per pass.</content>
public sealed unsafe partial class QueueWorker
{
    private void Serve(BlkQueue<IotlbMemory> queue, IoUring uring, IotlbCache cache)
    {
        IDeviceQueue ring = queue.Queue;
        ulong* counters = stackalloc ulong[2];
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[ReapBatch];
        ArmRead(uring, _kickFd.Value, &counters[0], KickTag);
        ArmRead(uring, _wakeFd.Value, &counters[1], WakeTag);
        bool reportedBroken = false;
        long pollTicks = _dataPlane.PollMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        long lastWork = System.Diagnostics.Stopwatch.GetTimestamp();
        bool polling = false;
        bool submitDeferred = false;
        while (true)
        {
            bool popped = queue.Process(ring.Size) > 0;
            bool progressed = popped;
            int n;
            while ((n = uring.Reap(cqes)) > 0)
            {
                progressed = true;
                Dispatch(queue, uring, cqes.Slice(0, n), counters);
            }

            PublishAndInterrupt(ring);
            Volatile.Write(ref _lastAvail, ring.LastAvailIndex);
            if (ring.BrokenReason != null && !reportedBroken)
            {
                reportedBroken = true;
                Log.Write(LogLevel.Error, _device, "queue " + _index + " stopped serving: " + ring.BrokenReason + "; it resumes after the driver resets the device");
            }

            // Requests from the control thread (it also signals the wake eventfd so a sleeping pass
            // gets here); checked every pass, so a wake-up consumed while draining is never lost.
            if (_stop)
            {
                Drain(queue, uring, cqes, counters);
                RetireReads(queue, uring, cqes);
                return;
            }

            if (Volatile.Read(ref _remapEpoch) != Volatile.Read(ref _remapAcked))
            {
                Remap(queue, uring, cqes, counters, ring, cache);
            }

            if (progressed)
            {
                lastWork = System.Diagnostics.Stopwatch.GetTimestamp();

                // A pass that only reaped (a kick, a reply) goes round once more before it enters the
                // kernel: what that pass pops goes in the same io_uring_enter as the re-armed reads,
                // one syscall where there were two. Once only: a stream of completions never holds
                // submissions back for longer than a pass, and a pass with nothing to do submits as it
                // goes to sleep.
                if (popped || submitDeferred)
                {
                    uring.Submit();
                    submitDeferred = false;
                }
                else
                {
                    submitDeferred = true;
                }

                continue;
            }

            submitDeferred = false; // the poll and sleep paths below submit

            if (pollTicks > 0 && System.Diagnostics.Stopwatch.GetTimestamp() - lastWork < pollTicks)
            {
                // Adaptive polling: for a while after the last request, watch the avail ring ourselves
                // with kicks off, so the driver skips its notification and we skip a wake-up.
                if (!polling)
                {
                    ring.DisableKicks();
                    polling = true;
                }

                uring.Submit();
                continue;
            }

            polling = false;
            if (ring.EnableKicksAndRecheck())
            {
                continue;
            }

            // Nothing to do: sleep in the kernel until a kick, a wake-up or an I/O completion.
            uring.SubmitAndWait(1);
        }
    }

    /// <summary>Publishes completions with one used-index store; one interrupt if the driver wants it.</summary>
    private void PublishAndInterrupt(IDeviceQueue ring)
    {
        if (ring.FinishBatch())
        {
            uint index = _index;
            _ = LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_INJECT_IRQ, &index);
        }
    }

    /// <summary>Waits for every started request to complete (their buffers point into mappings about to go).</summary>
    private void Drain(BlkQueue<IotlbMemory> queue, IoUring uring, Span<io_uring_cqe> cqes, ulong* counters)
    {
        while (queue.InFlight > 0)
        {
            uring.SubmitAndWait(1);
            Dispatch(queue, uring, cqes.Slice(0, uring.Reap(cqes)), counters);
        }

        queue.Queue.FlushUsed();
    }

    /// <summary>
    /// Completes the kick and wake reads before Serve returns: their counters are in its stack frame,
    /// and a kick that lands after it (the driver kicks as it resets) would write 8 bytes into
    /// whatever frame is there by then. Seen under the hostile driver as a queue thread jumping to
    /// address 1, an eventfd count. See <see cref="EventFdReads"/>.
    /// </summary>
    private void RetireReads(BlkQueue<IotlbMemory> queue, IoUring uring, Span<io_uring_cqe> cqes)
    {
        int n = EventFdReads.Retire(uring, [_kickFd.Value, _wakeFd.Value], [KickTag, WakeTag], cqes);
        foreach (io_uring_cqe cqe in cqes.Slice(0, n))
        {
            queue.OnCompletion(cqe.user_data, cqe.res);
        }
    }

    /// <summary>
    /// Routes reaped completions: kick and wake reads are re-armed at once (the read consumed the
    /// counter, so a later kick or wake-up must find a read waiting), the rest finish requests.
    /// </summary>
    private void Dispatch(BlkQueue<IotlbMemory> queue, IoUring uring, ReadOnlySpan<io_uring_cqe> cqes, ulong* counters)
    {
        foreach (io_uring_cqe cqe in cqes)
        {
            if (cqe.user_data == KickTag)
            {
                ArmRead(uring, _kickFd.Value, &counters[0], KickTag);
            }
            else if (cqe.user_data == WakeTag)
            {
                ArmRead(uring, _wakeFd.Value, &counters[1], WakeTag);
            }
            else
            {
                queue.OnCompletion(cqe.user_data, cqe.res);
            }
        }
    }

    private static void ArmRead(IoUring uring, int fd, ulong* counter, ulong userData)
    {
        io_uring_sqe* sqe = uring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            throw new VduseException("io_uring submission queue stuck full");
        }

        SqePrep.Read(sqe, fd, counter, sizeof(ulong), 0, userData);
    }

    /// <summary>
    /// Handles the IOTLB updates asked for: when they touch a region this queue holds, waits for its
    /// requests in flight (their buffers may be in it), drops the regions and re-translates the rings;
    /// an update of memory the queue never used (a VM's new memory, another device's) holds nothing.
    /// </summary>
    private void Remap(BlkQueue<IotlbMemory> queue, IoUring uring, Span<io_uring_cqe> cqes, ulong* counters, IDeviceQueue ring, IotlbCache cache)
    {
        int epoch = Volatile.Read(ref _remapEpoch);
        ulong start;
        ulong last;
        lock (_remapLock)
        {
            (start, last) = (_remapStart, _remapLast);
            (_remapStart, _remapLast) = (ulong.MaxValue, 0);
        }

        if (cache.Overlaps(start, last))
        {
            // The used ring was published by the drain, so restarting from the current indexes loses
            // nothing; only the host pointers change. Only what the update changed goes: the other
            // regions stay mapped and need no miss to come back.
            Drain(queue, uring, cqes, counters);
            _ = cache.Invalidate(start, last);
            string? error = ring.Restart();
            if (error != null)
            {
                Log.Write(LogLevel.Error, _device, "queue " + _index + " lost its rings after an IOTLB update: " + error);
            }
        }

        Volatile.Write(ref _remapAcked, epoch);
    }
}
