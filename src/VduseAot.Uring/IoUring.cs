using System;
using System.Globalization;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_params = VduseAot.Interop.io_uring_params;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Uring;

/// <summary>
/// One io_uring instance: the ring fd, its mmapped SQ ring, CQ ring and SQE array, driven directly through
/// the io_uring_setup/enter/register syscalls.
/// </summary>
/// <remarks>
/// Not thread-safe: one thread owns a ring (the queue thread of the share-nothing data plane). Submission
/// (<see cref="NextSqe"/>, <see cref="Submit"/>), completion (<see cref="TryPeek"/>, <see cref="Reap"/>,
/// <see cref="Advance"/>) and the SQE helpers in <see cref="SqePrep"/> allocate nothing. This file holds
/// setup and teardown; IoUring.Submission.cs, IoUring.Completion.cs and IoUring.Register.cs the rest.
/// </remarks>
public sealed unsafe partial class IoUring : IDisposable
{
    /// <summary>Flags that are only an optimisation: dropped and retried without when the kernel says EINVAL.</summary>
    private const uint OptionalSetupFlags =
        IoUringUapi.IORING_SETUP_SINGLE_ISSUER | IoUringUapi.IORING_SETUP_COOP_TASKRUN | IoUringUapi.IORING_SETUP_TASKRUN_FLAG;

    private OwnedFd? ring;

    // The mappings; cqMap == ringMap when the kernel has IORING_FEAT_SINGLE_MMAP.
    private void* ringMap;
    private nuint ringMapSize;
    private void* cqMap;
    private nuint cqMapSize;
    private void* sqeMap;
    private nuint sqeMapSize;

    /// <summary>Creates a ring with <paramref name="entries"/> SQ entries and the default options.</summary>
    public IoUring(uint entries)
        : this(entries, IoUringOptions.Default)
    {
    }

    /// <summary>
    /// Creates a ring with <paramref name="entries"/> SQ entries (rounded up to a power of two by the
    /// kernel, at most 32768) and maps its rings.
    /// </summary>
    /// <exception cref="IoUringException">io_uring_setup or mmap failed; the message says why.</exception>
    public IoUring(uint entries, IoUringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        uint flags = 0;
        if (options.SqPoll)
        {
            flags |= IoUringUapi.IORING_SETUP_SQPOLL;
            if (options.SqThreadCpu >= 0)
            {
                flags |= IoUringUapi.IORING_SETUP_SQ_AFF;
            }
        }

        if (options.CqEntries != 0)
        {
            flags |= IoUringUapi.IORING_SETUP_CQSIZE;
        }

        if (options.SingleIssuer)
        {
            flags |= IoUringUapi.IORING_SETUP_SINGLE_ISSUER;
        }

        // The kernel rejects the task-work flags together with SQPOLL: there the SQPOLL thread runs it.
        if (options.CoopTaskrun && !options.SqPoll)
        {
            flags |= IoUringUapi.IORING_SETUP_COOP_TASKRUN | IoUringUapi.IORING_SETUP_TASKRUN_FLAG;
        }

        io_uring_params p;
        int fd = Setup(entries, options, flags, &p);
        Errno errno = fd < 0 ? ErrnoExtensions.Last() : Errno.OK;
        if (fd < 0 && errno == Errno.EINVAL && (flags & OptionalSetupFlags) != 0)
        {
            // Older kernels answer unknown flags with EINVAL: these only save cycles, so try without them.
            flags &= ~OptionalSetupFlags;
            fd = Setup(entries, options, flags, &p);
            errno = fd < 0 ? ErrnoExtensions.Last() : Errno.OK;
        }

        if (fd < 0)
        {
            throw SetupError(errno, entries, options, flags);
        }

        ring = new OwnedFd(fd);
        SetupFlags = flags;
        Features = p.features;
        SqEntries = p.sq_entries;
        CqEntries = p.cq_entries;
        sqPoll = (flags & IoUringUapi.IORING_SETUP_SQPOLL) != 0;
        try
        {
            MapRings(in p);
        }
        catch
        {
            Dispose();
            throw;
        }

        byte* sq = (byte*)ringMap;
        sqKHead = (uint*)(sq + p.sq_off.head);
        sqKTail = (uint*)(sq + p.sq_off.tail);
        sqKFlags = (uint*)(sq + p.sq_off.flags);
        sqMask = *(uint*)(sq + p.sq_off.ring_mask);
        sqes = (io_uring_sqe*)sqeMap;

        // Slot i of the index array always names SQE i, written once here as liburing does: then a
        // submission only has to move the tail, and NextSqe hands out SQEs in ring order.
        uint* array = (uint*)(sq + p.sq_off.array);
        for (uint i = 0; i < SqEntries; i++)
        {
            array[i] = i;
        }

        byte* cq = (byte*)cqMap;
        cqKHead = (uint*)(cq + p.cq_off.head);
        cqKTail = (uint*)(cq + p.cq_off.tail);
        cqKOverflow = (uint*)(cq + p.cq_off.overflow);
        cqMask = *(uint*)(cq + p.cq_off.ring_mask);
        cqes = (io_uring_cqe*)(cq + p.cq_off.cqes);

        // Nothing was submitted yet, but read the indexes rather than assume zero.
        sqeTail = sqPublished = sqHeadCache = Volatile.Read(ref *sqKTail);
        cqHead = cqTailCache = Volatile.Read(ref *cqKHead);
    }

    /// <summary>The ring's file descriptor (for IORING_OP_MSG_RING, poll, or diagnostics).</summary>
    public int Fd => RingFd;

    // Borrowed by every io_uring_enter/register; -1 once disposed.
    private int RingFd => ring?.Value ?? -1;

    /// <summary>SQ entries the kernel allocated.</summary>
    public uint SqEntries { get; }

    /// <summary>CQ entries the kernel allocated.</summary>
    public uint CqEntries { get; }

    /// <summary>IORING_FEAT_* bits this kernel reported.</summary>
    public uint Features { get; }

    /// <summary>IORING_SETUP_* flags the kernel accepted (optional ones it refused are absent).</summary>
    public uint SetupFlags { get; }

    /// <summary>True when a kernel thread polls the SQ (IORING_SETUP_SQPOLL).</summary>
    public bool IsSqPoll => sqPoll;

    /// <summary>io_uring_enter calls made so far (including retries): how often submission needed a syscall.</summary>
    public ulong EnterCalls => enterCalls;

    /// <summary>Unmaps the rings and closes the ring fd; in-flight requests are cancelled by the kernel.</summary>
    public void Dispose()
    {
        if (sqeMap != null)
        {
            _ = LibC.munmap(sqeMap, (size_t)(ulong)sqeMapSize);
            sqeMap = null;
        }

        if (cqMap != null && cqMap != ringMap)
        {
            _ = LibC.munmap(cqMap, (size_t)(ulong)cqMapSize);
        }

        cqMap = null;
        if (ringMap != null)
        {
            _ = LibC.munmap(ringMap, (size_t)(ulong)ringMapSize);
            ringMap = null;
        }

        ring?.Dispose();
        ring = null;
    }

    private static int Setup(uint entries, IoUringOptions options, uint flags, io_uring_params* p)
    {
        *p = default;
        p->flags = flags;
        p->cq_entries = options.CqEntries;
        p->sq_thread_idle = options.SqThreadIdleMs;
        p->sq_thread_cpu = options.SqThreadCpu >= 0 ? (uint)options.SqThreadCpu : 0;
        int fd;
        do
        {
            fd = Sys.io_uring_setup(entries, p);
        }
        while (fd < 0 && ErrnoExtensions.Last() == Errno.EINTR);

        return fd;
    }

    private void MapRings(in io_uring_params p)
    {
        nuint sqSize = p.sq_off.array + (p.sq_entries * (nuint)sizeof(uint));
        nuint cqSize = p.cq_off.cqes + (p.cq_entries * (nuint)sizeof(io_uring_cqe));
        bool single = (p.features & IoUringUapi.IORING_FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            // Since 5.4 both rings live in one mapping: map the larger extent once.
            sqSize = cqSize = Math.Max(sqSize, cqSize);
        }

        ringMap = Map(sqSize, IoUringUapi.IORING_OFF_SQ_RING, "SQ ring");
        ringMapSize = sqSize;
        if (single)
        {
            cqMap = ringMap;
            cqMapSize = sqSize;
        }
        else
        {
            cqMap = Map(cqSize, IoUringUapi.IORING_OFF_CQ_RING, "CQ ring");
            cqMapSize = cqSize;
        }

        sqeMapSize = p.sq_entries * (nuint)sizeof(io_uring_sqe);
        sqeMap = Map(sqeMapSize, IoUringUapi.IORING_OFF_SQES, "SQE array");
    }

    private void* Map(nuint size, ulong offset, string what)
    {
        void* addr = LibC.mmap(null, (size_t)(ulong)size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, RingFd, (long)offset);
        if (addr == LibC.MAP_FAILED)
        {
            Errno errno = ErrnoExtensions.Last();
            throw IoUringException.FromErrno(
                "mmap of the io_uring " + what + " (" + size.ToString(CultureInfo.InvariantCulture) + " bytes)",
                errno,
                errno == Errno.ENOMEM ? "raise RLIMIT_MEMLOCK (kernels before 5.12 charge ring memory to it) or use fewer entries" : null);
        }

        return addr;
    }

    private static IoUringException SetupError(Errno errno, uint entries, IoUringOptions options, uint flags)
    {
        string call = "io_uring_setup(entries=" + entries.ToString(CultureInfo.InvariantCulture)
            + (options.CqEntries != 0 ? ", cq_entries=" + options.CqEntries.ToString(CultureInfo.InvariantCulture) : string.Empty)
            + ", flags=0x" + flags.ToString("x", CultureInfo.InvariantCulture) + ")";
        string? hint = errno switch
        {
            Errno.ENOSYS => "io_uring is not available (kernel built without CONFIG_IO_URING, or a seccomp filter blocks it)",
            Errno.EPERM when options.SqPoll => "SQPOLL was refused: kernels before 5.11 need CAP_SYS_ADMIN for it, and kernel.io_uring_disabled may forbid io_uring",
            Errno.EPERM => "io_uring is disabled for this process (sysctl kernel.io_uring_disabled, kernel.io_uring_group)",
            Errno.EINVAL => "entries must be 1..32768 and cq_entries at least entries; an old kernel may also not know a flag",
            Errno.ENOMEM => "not enough locked memory for the rings: raise RLIMIT_MEMLOCK (kernels before 5.12) or use fewer entries",
            Errno.ENFILE or Errno.EMFILE => "out of file descriptors (RLIMIT_NOFILE)",
            _ => null,
        };
        return IoUringException.FromErrno(call, errno, hint);
    }
}
