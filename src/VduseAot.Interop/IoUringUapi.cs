// Ours: Tmds.LibC's io_uring constants stop at Linux 5.6 (no SINGLE_ISSUER, COOP_TASKRUN, CQE_SKIP_SUCCESS, ...).

namespace VduseAot.Interop;

/// <summary>
/// Constants from include/uapi/linux/io_uring.h under their kernel names. Only what this product uses is
/// declared; each comment names the Linux version that introduced it where that matters for probing.
/// </summary>
public static class IoUringUapi
{
    // ---- io_uring_setup(2) flags (io_uring_params.flags) ----

    /// <summary>IORING_SETUP_IOPOLL: busy-poll for completions (O_DIRECT on polled devices only).</summary>
    public const uint IORING_SETUP_IOPOLL = 1U << 0;
    /// <summary>IORING_SETUP_SQPOLL: a kernel thread consumes the SQ, so submitting needs no syscall while it is awake.</summary>
    public const uint IORING_SETUP_SQPOLL = 1U << 1;
    /// <summary>IORING_SETUP_SQ_AFF: pin the SQPOLL thread to io_uring_params.sq_thread_cpu.</summary>
    public const uint IORING_SETUP_SQ_AFF = 1U << 2;
    /// <summary>IORING_SETUP_CQSIZE: io_uring_params.cq_entries is an input.</summary>
    public const uint IORING_SETUP_CQSIZE = 1U << 3;
    /// <summary>IORING_SETUP_CLAMP: clamp oversized entry counts instead of failing with EINVAL.</summary>
    public const uint IORING_SETUP_CLAMP = 1U << 4;
    /// <summary>IORING_SETUP_ATTACH_WQ: share the async workers of io_uring_params.wq_fd.</summary>
    public const uint IORING_SETUP_ATTACH_WQ = 1U << 5;
    /// <summary>IORING_SETUP_R_DISABLED: start disabled until IORING_REGISTER_ENABLE_RINGS.</summary>
    public const uint IORING_SETUP_R_DISABLED = 1U << 6;
    /// <summary>IORING_SETUP_SUBMIT_ALL: keep submitting a batch after one SQE fails to prepare (5.18).</summary>
    public const uint IORING_SETUP_SUBMIT_ALL = 1U << 7;
    /// <summary>IORING_SETUP_COOP_TASKRUN: run completion task work at the next kernel entry instead of by IPI (5.19).</summary>
    public const uint IORING_SETUP_COOP_TASKRUN = 1U << 8;
    /// <summary>IORING_SETUP_TASKRUN_FLAG: raise IORING_SQ_TASKRUN when task work waits for a kernel entry (5.19).</summary>
    public const uint IORING_SETUP_TASKRUN_FLAG = 1U << 9;
    /// <summary>IORING_SETUP_SQE128: 128-byte SQEs (6.0).</summary>
    public const uint IORING_SETUP_SQE128 = 1U << 10;
    /// <summary>IORING_SETUP_CQE32: 32-byte CQEs (6.0).</summary>
    public const uint IORING_SETUP_CQE32 = 1U << 11;
    /// <summary>IORING_SETUP_SINGLE_ISSUER: only the creating task submits (6.0).</summary>
    public const uint IORING_SETUP_SINGLE_ISSUER = 1U << 12;
    /// <summary>IORING_SETUP_DEFER_TASKRUN: run task work only when the issuer waits for events (6.1).</summary>
    public const uint IORING_SETUP_DEFER_TASKRUN = 1U << 13;

    // ---- io_uring_enter(2) flags ----

    /// <summary>IORING_ENTER_GETEVENTS: wait for min_complete completions.</summary>
    public const uint IORING_ENTER_GETEVENTS = 1U << 0;
    /// <summary>IORING_ENTER_SQ_WAKEUP: wake a sleeping SQPOLL thread.</summary>
    public const uint IORING_ENTER_SQ_WAKEUP = 1U << 1;
    /// <summary>IORING_ENTER_SQ_WAIT: with SQPOLL, wait until the SQ has room.</summary>
    public const uint IORING_ENTER_SQ_WAIT = 1U << 2;
    /// <summary>IORING_ENTER_EXT_ARG: the last argument is a struct io_uring_getevents_arg.</summary>
    public const uint IORING_ENTER_EXT_ARG = 1U << 3;
    /// <summary>IORING_ENTER_REGISTERED_RING: the fd argument is a registered ring index.</summary>
    public const uint IORING_ENTER_REGISTERED_RING = 1U << 4;

    // ---- mmap(2) offsets on the ring fd ----

    /// <summary>IORING_OFF_SQ_RING: the SQ ring (and, with IORING_FEAT_SINGLE_MMAP, the CQ ring).</summary>
    public const ulong IORING_OFF_SQ_RING = 0;
    /// <summary>IORING_OFF_CQ_RING: the CQ ring, when it is mapped separately.</summary>
    public const ulong IORING_OFF_CQ_RING = 0x8000000;
    /// <summary>IORING_OFF_SQES: the SQE array.</summary>
    public const ulong IORING_OFF_SQES = 0x10000000;

    // ---- io_uring_params.features ----

    /// <summary>IORING_FEAT_SINGLE_MMAP: SQ and CQ rings share one mapping (5.4).</summary>
    public const uint IORING_FEAT_SINGLE_MMAP = 1U << 0;
    /// <summary>IORING_FEAT_NODROP: CQEs are never dropped; overflow is kept in the kernel (5.5).</summary>
    public const uint IORING_FEAT_NODROP = 1U << 1;
    /// <summary>IORING_FEAT_SUBMIT_STABLE: SQE data is consumed at submit time (5.5).</summary>
    public const uint IORING_FEAT_SUBMIT_STABLE = 1U << 2;
    /// <summary>IORING_FEAT_RW_CUR_POS: offset -1 means the current file position (5.6).</summary>
    public const uint IORING_FEAT_RW_CUR_POS = 1U << 3;
    /// <summary>IORING_FEAT_CUR_PERSONALITY: requests run with the submitter's credentials (5.6).</summary>
    public const uint IORING_FEAT_CUR_PERSONALITY = 1U << 4;
    /// <summary>IORING_FEAT_FAST_POLL: internal poll instead of worker threads for pollable files (5.7).</summary>
    public const uint IORING_FEAT_FAST_POLL = 1U << 5;
    /// <summary>IORING_FEAT_POLL_32BITS: 32-bit poll masks (5.9).</summary>
    public const uint IORING_FEAT_POLL_32BITS = 1U << 6;
    /// <summary>IORING_FEAT_SQPOLL_NONFIXED: SQPOLL works without registered files (5.11).</summary>
    public const uint IORING_FEAT_SQPOLL_NONFIXED = 1U << 7;
    /// <summary>IORING_FEAT_EXT_ARG: IORING_ENTER_EXT_ARG is supported (5.11).</summary>
    public const uint IORING_FEAT_EXT_ARG = 1U << 8;
    /// <summary>IORING_FEAT_NATIVE_WORKERS: async workers are threads of the submitting process (5.12).</summary>
    public const uint IORING_FEAT_NATIVE_WORKERS = 1U << 9;

    // ---- SQ ring flags word ----

    /// <summary>IORING_SQ_NEED_WAKEUP: the SQPOLL thread sleeps; io_uring_enter(IORING_ENTER_SQ_WAKEUP) wakes it.</summary>
    public const uint IORING_SQ_NEED_WAKEUP = 1U << 0;
    /// <summary>IORING_SQ_CQ_OVERFLOW: completions wait in the kernel's overflow list; an enter with GETEVENTS flushes them.</summary>
    public const uint IORING_SQ_CQ_OVERFLOW = 1U << 1;
    /// <summary>IORING_SQ_TASKRUN: completion task work waits for a kernel entry (with IORING_SETUP_TASKRUN_FLAG).</summary>
    public const uint IORING_SQ_TASKRUN = 1U << 2;

    // ---- opcodes (enum io_uring_op); bytes because io_uring_sqe.opcode is a __u8 ----

    /// <summary>IORING_OP_NOP (5.1).</summary>
    public const byte IORING_OP_NOP = 0;
    /// <summary>IORING_OP_READV (5.1).</summary>
    public const byte IORING_OP_READV = 1;
    /// <summary>IORING_OP_WRITEV (5.1).</summary>
    public const byte IORING_OP_WRITEV = 2;
    /// <summary>IORING_OP_FSYNC (5.1).</summary>
    public const byte IORING_OP_FSYNC = 3;
    /// <summary>IORING_OP_READ_FIXED: read into a registered buffer (5.1).</summary>
    public const byte IORING_OP_READ_FIXED = 4;
    /// <summary>IORING_OP_WRITE_FIXED: write from a registered buffer (5.1).</summary>
    public const byte IORING_OP_WRITE_FIXED = 5;
    /// <summary>IORING_OP_POLL_ADD: one-shot poll of a descriptor (5.1).</summary>
    public const byte IORING_OP_POLL_ADD = 6;
    /// <summary>IORING_OP_SENDMSG: sendmsg(2) (5.3).</summary>
    public const byte IORING_OP_SENDMSG = 9;
    /// <summary>IORING_OP_RECVMSG: recvmsg(2) (5.3).</summary>
    public const byte IORING_OP_RECVMSG = 10;
    /// <summary>IORING_OP_TIMEOUT: completes after a time or a count of completions (5.4).</summary>
    public const byte IORING_OP_TIMEOUT = 11;
    /// <summary>IORING_OP_ASYNC_CANCEL: cancel the request with a given user_data (5.5).</summary>
    public const byte IORING_OP_ASYNC_CANCEL = 14;
    /// <summary>IORING_OP_FALLOCATE (5.6).</summary>
    public const byte IORING_OP_FALLOCATE = 17;
    /// <summary>IORING_OP_READ: non-vectored read (5.6).</summary>
    public const byte IORING_OP_READ = 22;
    /// <summary>IORING_OP_WRITE: non-vectored write (5.6).</summary>
    public const byte IORING_OP_WRITE = 23;
    /// <summary>IORING_OP_SEND: send(2) (5.6).</summary>
    public const byte IORING_OP_SEND = 26;
    /// <summary>IORING_OP_RECV: recv(2) (5.6).</summary>
    public const byte IORING_OP_RECV = 27;
    /// <summary>IORING_OP_SPLICE: splice(2) (5.7); always run by an io-wq worker, never inline.</summary>
    public const byte IORING_OP_SPLICE = 30;
    /// <summary>IORING_OP_URING_CMD: a driver-specific command (5.19).</summary>
    public const byte IORING_OP_URING_CMD = 46;

    // ---- io_uring_sqe.flags ----

    /// <summary>IOSQE_FIXED_FILE: io_uring_sqe.fd is an index into the registered files.</summary>
    public const byte IOSQE_FIXED_FILE = 1 << 0;
    /// <summary>IOSQE_IO_DRAIN: start only after every earlier request completed.</summary>
    public const byte IOSQE_IO_DRAIN = 1 << 1;
    /// <summary>IOSQE_IO_LINK: the next SQE starts only after this one succeeded.</summary>
    public const byte IOSQE_IO_LINK = 1 << 2;
    /// <summary>IOSQE_IO_HARDLINK: like IOSQE_IO_LINK, but the chain survives a failure.</summary>
    public const byte IOSQE_IO_HARDLINK = 1 << 3;
    /// <summary>IOSQE_ASYNC: go straight to an async worker.</summary>
    public const byte IOSQE_ASYNC = 1 << 4;
    /// <summary>IOSQE_BUFFER_SELECT: pick a buffer from io_uring_sqe.buf_group.</summary>
    public const byte IOSQE_BUFFER_SELECT = 1 << 5;
    /// <summary>IOSQE_CQE_SKIP_SUCCESS: post no CQE when the request succeeds (5.17).</summary>
    public const byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // ---- per-opcode flags ----

    /// <summary>IORING_FSYNC_DATASYNC: fdatasync(2) semantics for IORING_OP_FSYNC.</summary>
    public const uint IORING_FSYNC_DATASYNC = 1U << 0;
    /// <summary>IORING_ASYNC_CANCEL_ALL: cancel every request that matches (5.19).</summary>
    public const uint IORING_ASYNC_CANCEL_ALL = 1U << 0;

    // ---- io_uring_cqe.flags ----

    /// <summary>IORING_CQE_F_BUFFER: the upper 16 bits of flags carry a selected buffer id.</summary>
    public const uint IORING_CQE_F_BUFFER = 1U << 0;
    /// <summary>IORING_CQE_F_MORE: the request will post more CQEs.</summary>
    public const uint IORING_CQE_F_MORE = 1U << 1;

    // ---- io_uring_register(2) opcodes ----

    /// <summary>IORING_REGISTER_BUFFERS: register an iovec array for READ_FIXED/WRITE_FIXED.</summary>
    public const uint IORING_REGISTER_BUFFERS = 0;
    /// <summary>IORING_UNREGISTER_BUFFERS.</summary>
    public const uint IORING_UNREGISTER_BUFFERS = 1;
    /// <summary>IORING_REGISTER_FILES: register an int array of descriptors for IOSQE_FIXED_FILE.</summary>
    public const uint IORING_REGISTER_FILES = 2;
    /// <summary>IORING_UNREGISTER_FILES.</summary>
    public const uint IORING_UNREGISTER_FILES = 3;
    /// <summary>IORING_REGISTER_EVENTFD: signal an eventfd on every completion.</summary>
    public const uint IORING_REGISTER_EVENTFD = 4;
    /// <summary>IORING_UNREGISTER_EVENTFD.</summary>
    public const uint IORING_UNREGISTER_EVENTFD = 5;
    /// <summary>IORING_REGISTER_FILES_UPDATE: replace registered-file slots (struct io_uring_files_update) (5.5).</summary>
    public const uint IORING_REGISTER_FILES_UPDATE = 6;
    /// <summary>IORING_REGISTER_PROBE: list the opcodes this kernel supports (struct io_uring_probe) (5.6).</summary>
    public const uint IORING_REGISTER_PROBE = 8;

    /// <summary>IO_URING_OP_SUPPORTED: io_uring_probe_op.flags bit for an opcode the kernel implements.</summary>
    public const ushort IO_URING_OP_SUPPORTED = 1 << 0;
}
