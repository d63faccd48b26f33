using Tmds.Linux;
using VduseAot.Interop;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Uring;

/// <summary>
/// Fills an SQE from <see cref="IoUring.NextSqe"/> (which zeroes it) for one operation, the way liburing's
/// io_uring_prep_* do. <c>flags</c> takes <see cref="SqeFlags"/>: with <see cref="SqeFlags.FixedFile"/>
/// <c>fd</c> is an index into <see cref="IoUring.RegisterFiles"/>'s table. Offsets are byte offsets in the
/// file; <see cref="CurrentPosition"/> means the file position (IORING_FEAT_RW_CUR_POS). The buffers and
/// iovec arrays must stay valid until the completion arrives (the kernel may read them after submit).
/// </summary>
public static unsafe class SqePrep
{
    /// <summary>Offset -1: use and advance the file position, like read(2)/write(2).</summary>
    public const ulong CurrentPosition = ulong.MaxValue;

    /// <summary>IORING_OP_NOP: completes with res 0; useful for wake-ups and tests.</summary>
    public static void Nop(io_uring_sqe* sqe, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_NOP;
        sqe->flags = (byte)flags;
        sqe->fd = -1;
        sqe->user_data = userData;
    }

    /// <summary>IORING_OP_READV: preadv2(fd, iov, iovCount, offset, rwFlags). res is bytes read (0 at EOF).</summary>
    public static void Readv(io_uring_sqe* sqe, int fd, iovec* iov, uint iovCount, ulong offset, ulong userData, SqeFlags flags = SqeFlags.None, uint rwFlags = 0)
        => Rw(sqe, IoUringUapi.IORING_OP_READV, fd, iov, iovCount, offset, userData, flags, rwFlags);

    /// <summary>IORING_OP_WRITEV: pwritev2(fd, iov, iovCount, offset, rwFlags). res is bytes written.</summary>
    public static void Writev(io_uring_sqe* sqe, int fd, iovec* iov, uint iovCount, ulong offset, ulong userData, SqeFlags flags = SqeFlags.None, uint rwFlags = 0)
        => Rw(sqe, IoUringUapi.IORING_OP_WRITEV, fd, iov, iovCount, offset, userData, flags, rwFlags);

    /// <summary>IORING_OP_READ (5.6): pread into one buffer.</summary>
    public static void Read(io_uring_sqe* sqe, int fd, void* buffer, uint length, ulong offset, ulong userData, SqeFlags flags = SqeFlags.None, uint rwFlags = 0)
        => Rw(sqe, IoUringUapi.IORING_OP_READ, fd, buffer, length, offset, userData, flags, rwFlags);

    /// <summary>IORING_OP_WRITE (5.6): pwrite from one buffer.</summary>
    public static void Write(io_uring_sqe* sqe, int fd, void* buffer, uint length, ulong offset, ulong userData, SqeFlags flags = SqeFlags.None, uint rwFlags = 0)
        => Rw(sqe, IoUringUapi.IORING_OP_WRITE, fd, buffer, length, offset, userData, flags, rwFlags);

    /// <summary>
    /// IORING_OP_READ_FIXED: read into registered buffer <paramref name="bufferIndex"/>;
    /// <paramref name="buffer"/>..+<paramref name="length"/> must lie inside it.
    /// </summary>
    public static void ReadFixed(io_uring_sqe* sqe, int fd, void* buffer, uint length, ulong offset, ushort bufferIndex, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        Rw(sqe, IoUringUapi.IORING_OP_READ_FIXED, fd, buffer, length, offset, userData, flags, 0);
        sqe->buf_index = bufferIndex;
    }

    /// <summary>IORING_OP_WRITE_FIXED: write from registered buffer <paramref name="bufferIndex"/>.</summary>
    public static void WriteFixed(io_uring_sqe* sqe, int fd, void* buffer, uint length, ulong offset, ushort bufferIndex, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        Rw(sqe, IoUringUapi.IORING_OP_WRITE_FIXED, fd, buffer, length, offset, userData, flags, 0);
        sqe->buf_index = bufferIndex;
    }

    /// <summary>IORING_OP_FSYNC: fsync(2), or fdatasync(2) when <paramref name="dataSync"/> (IORING_FSYNC_DATASYNC).</summary>
    public static void Fsync(io_uring_sqe* sqe, int fd, bool dataSync, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_FSYNC;
        sqe->flags = (byte)flags;
        sqe->fd = fd;
        sqe->fsync_flags = dataSync ? IoUringUapi.IORING_FSYNC_DATASYNC : 0;
        sqe->user_data = userData;
    }

    /// <summary>
    /// IORING_OP_FALLOCATE (5.6): fallocate(fd, mode, offset, length) with FALLOC_FL_* <paramref name="mode"/>
    /// (e.g. PUNCH_HOLE | KEEP_SIZE for discard, ZERO_RANGE for write-zeroes). The SQE carries the mode in
    /// len and the length in addr.
    /// </summary>
    public static void Fallocate(io_uring_sqe* sqe, int fd, int mode, ulong offset, ulong length, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_FALLOCATE;
        sqe->flags = (byte)flags;
        sqe->fd = fd;
        sqe->off = offset;
        sqe->addr = length;
        sqe->len = (uint)mode;
        sqe->user_data = userData;
    }

    /// <summary>
    /// IORING_OP_POLL_ADD: one-shot poll of <paramref name="fd"/> for POLL* <paramref name="events"/>; res is the
    /// ready mask. Lets a queue thread wait for a kick eventfd and I/O completions in one io_uring_enter.
    /// </summary>
    public static void PollAdd(io_uring_sqe* sqe, int fd, uint events, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_POLL_ADD;
        sqe->flags = (byte)flags;
        sqe->fd = fd;
        sqe->poll32_events = events;   // little-endian: no word swap (liburing swaps on big-endian only)
        sqe->user_data = userData;
    }

    /// <summary>IORING_OP_SENDMSG (5.3): sendmsg(fd, msg, msgFlags); res is bytes sent. <paramref name="msg"/> and its iovecs must stay valid until the completion.</summary>
    public static void SendMsg(io_uring_sqe* sqe, int fd, msghdr* msg, uint msgFlags, ulong userData, SqeFlags flags = SqeFlags.None)
        => Socket(sqe, IoUringUapi.IORING_OP_SENDMSG, fd, msg, 1, msgFlags, userData, flags);

    /// <summary>IORING_OP_RECVMSG (5.3): recvmsg(fd, msg, msgFlags); res is bytes received, 0 when the peer closed.</summary>
    public static void RecvMsg(io_uring_sqe* sqe, int fd, msghdr* msg, uint msgFlags, ulong userData, SqeFlags flags = SqeFlags.None)
        => Socket(sqe, IoUringUapi.IORING_OP_RECVMSG, fd, msg, 1, msgFlags, userData, flags);

    /// <summary>IORING_OP_SEND (5.6): send(fd, buffer, length, msgFlags).</summary>
    public static void Send(io_uring_sqe* sqe, int fd, void* buffer, uint length, uint msgFlags, ulong userData, SqeFlags flags = SqeFlags.None)
        => Socket(sqe, IoUringUapi.IORING_OP_SEND, fd, buffer, length, msgFlags, userData, flags);

    /// <summary>IORING_OP_RECV (5.6): recv(fd, buffer, length, msgFlags); res 0 when the peer closed.</summary>
    public static void Recv(io_uring_sqe* sqe, int fd, void* buffer, uint length, uint msgFlags, ulong userData, SqeFlags flags = SqeFlags.None)
        => Socket(sqe, IoUringUapi.IORING_OP_RECV, fd, buffer, length, msgFlags, userData, flags);

    /// <summary>
    /// IORING_OP_SPLICE (5.7): splice(fdIn, NULL, fdOut, NULL, length, spliceFlags) from a pipe into a
    /// socket (no offsets on either side); res is bytes moved. io_uring hands it to an io-wq worker,
    /// so a full socket blocks that worker, never the submitter.
    /// </summary>
    public static void Splice(io_uring_sqe* sqe, int fdIn, int fdOut, uint length, uint spliceFlags, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_SPLICE;
        sqe->flags = (byte)flags;
        sqe->fd = fdOut;
        sqe->off = ulong.MaxValue;  // off_out: none (-1)
        sqe->addr = ulong.MaxValue; // splice_off_in: none (-1)
        sqe->len = length;
        sqe->rw_flags = spliceFlags; // splice_flags, in the rw_flags union
        sqe->splice_fd_in = fdIn;
        sqe->user_data = userData;
    }

    /// <summary>
    /// IORING_OP_TIMEOUT (5.4): completes with -ETIME once <paramref name="time"/> (relative) has passed;
    /// the timespec must stay valid until the completion. No completion count: only the clock ends it.
    /// </summary>
    public static void Timeout(io_uring_sqe* sqe, __kernel_timespec* time, ulong userData, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_TIMEOUT;
        sqe->flags = (byte)flags;
        sqe->fd = -1;
        sqe->addr = (ulong)time;
        sqe->len = 1;
        sqe->off = 0;
        sqe->user_data = userData;
    }

    private static void Socket(io_uring_sqe* sqe, byte opcode, int fd, void* addr, uint len, uint msgFlags, ulong userData, SqeFlags flags)
    {
        sqe->opcode = opcode;
        sqe->flags = (byte)flags;
        sqe->fd = fd;
        sqe->addr = (ulong)addr;
        sqe->len = len;
        sqe->msg_flags = msgFlags;
        sqe->user_data = userData;
    }

    /// <summary>
    /// IORING_OP_ASYNC_CANCEL (5.5): cancels the request submitted with <paramref name="targetUserData"/>.
    /// res is 0 (cancelled; the target completes with -ECANCELED), -ENOENT (not found) or -EALREADY (running).
    /// </summary>
    public static void Cancel(io_uring_sqe* sqe, ulong targetUserData, ulong userData, uint cancelFlags = 0, SqeFlags flags = SqeFlags.None)
    {
        sqe->opcode = IoUringUapi.IORING_OP_ASYNC_CANCEL;
        sqe->flags = (byte)flags;
        sqe->fd = -1;
        sqe->addr = targetUserData;
        sqe->cancel_flags = cancelFlags;
        sqe->user_data = userData;
    }

    private static void Rw(io_uring_sqe* sqe, byte opcode, int fd, void* addr, uint len, ulong offset, ulong userData, SqeFlags flags, uint rwFlags)
    {
        sqe->opcode = opcode;
        sqe->flags = (byte)flags;
        sqe->fd = fd;
        sqe->off = offset;
        sqe->addr = (ulong)addr;
        sqe->len = len;
        sqe->rw_flags = rwFlags;
        sqe->user_data = userData;
    }
}
