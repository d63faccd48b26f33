using System.Runtime.InteropServices;

namespace VduseAot.Interop;

// Ours: Tmds.LibC's io_uring structs are the Linux 5.6 layouts. Blittable mirrors of
// include/uapi/linux/io_uring.h (layout as of Linux 6.1). Field names follow the
// header; C's anonymous unions in io_uring_sqe are explicit-offset fields sharing an offset.
// tests/VduseAot.Interop.Tests compares every size and offset with the machine's header.

/// <summary>struct io_sqring_offsets: where the SQ ring's fields lie inside the IORING_OFF_SQ_RING mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_sqring_offsets
{
    /// <summary>Offset of the head index (the kernel advances it as it consumes SQEs).</summary>
    public uint head;
    /// <summary>Offset of the tail index (the application publishes SQEs by advancing it).</summary>
    public uint tail;
    /// <summary>Offset of ring_mask (entries - 1).</summary>
    public uint ring_mask;
    /// <summary>Offset of ring_entries.</summary>
    public uint ring_entries;
    /// <summary>Offset of the IORING_SQ_* flags word.</summary>
    public uint flags;
    /// <summary>Offset of the count of invalid SQEs the kernel dropped.</summary>
    public uint dropped;
    /// <summary>Offset of the index array that maps ring slots to SQE indexes.</summary>
    public uint array;
    /// <summary>Reserved.</summary>
    public uint resv1;
    /// <summary>Reserved (user_addr since Linux 6.5, for IORING_SETUP_NO_MMAP).</summary>
    public ulong resv2;
}

/// <summary>struct io_cqring_offsets: where the CQ ring's fields lie inside the IORING_OFF_CQ_RING mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_cqring_offsets
{
    /// <summary>Offset of the head index (the application frees CQEs by advancing it).</summary>
    public uint head;
    /// <summary>Offset of the tail index (the kernel publishes CQEs by advancing it).</summary>
    public uint tail;
    /// <summary>Offset of ring_mask (entries - 1).</summary>
    public uint ring_mask;
    /// <summary>Offset of ring_entries.</summary>
    public uint ring_entries;
    /// <summary>Offset of the count of CQEs lost to overflow (kernels without IORING_FEAT_NODROP).</summary>
    public uint overflow;
    /// <summary>Offset of the CQE array.</summary>
    public uint cqes;
    /// <summary>Offset of the IORING_CQ_* flags word.</summary>
    public uint flags;
    /// <summary>Reserved.</summary>
    public uint resv1;
    /// <summary>Reserved (user_addr since Linux 6.5, for IORING_SETUP_NO_MMAP).</summary>
    public ulong resv2;
}

/// <summary>struct io_uring_params: passed to io_uring_setup(2) and filled in by it.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct io_uring_params
{
    /// <summary>SQ size the kernel chose (a power of two).</summary>
    public uint sq_entries;
    /// <summary>CQ size; an input with IORING_SETUP_CQSIZE.</summary>
    public uint cq_entries;
    /// <summary>IORING_SETUP_* flags.</summary>
    public uint flags;
    /// <summary>CPU of the SQPOLL thread, with IORING_SETUP_SQ_AFF.</summary>
    public uint sq_thread_cpu;
    /// <summary>Milliseconds the SQPOLL thread spins before it sleeps.</summary>
    public uint sq_thread_idle;
    /// <summary>IORING_FEAT_* bits the kernel reports.</summary>
    public uint features;
    /// <summary>Ring whose async workers to share, with IORING_SETUP_ATTACH_WQ.</summary>
    public uint wq_fd;
    /// <summary>Must be zero.</summary>
    public fixed uint resv[3];
    /// <summary>SQ ring layout.</summary>
    public io_sqring_offsets sq_off;
    /// <summary>CQ ring layout.</summary>
    public io_cqring_offsets cq_off;
}

/// <summary>
/// struct io_uring_sqe: one 64-byte submission queue entry. Only the union members this code uses are
/// declared; the others share the same offsets (see the header).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct io_uring_sqe
{
    /// <summary>IORING_OP_*.</summary>
    [FieldOffset(0)] public byte opcode;
    /// <summary>IOSQE_* flags.</summary>
    [FieldOffset(1)] public byte flags;
    /// <summary>I/O priority (ioprio_set(2) encoding).</summary>
    [FieldOffset(2)] public ushort ioprio;
    /// <summary>File descriptor, or the registered-file index with IOSQE_FIXED_FILE.</summary>
    [FieldOffset(4)] public int fd;
    /// <summary>File offset (union with addr2, cmd_op).</summary>
    [FieldOffset(8)] public ulong off;
    /// <summary>Second address (union with off).</summary>
    [FieldOffset(8)] public ulong addr2;
    /// <summary>IORING_OP_URING_CMD command (union with off).</summary>
    [FieldOffset(8)] public uint cmd_op;
    /// <summary>Buffer or iovec array address; the length for FALLOCATE.</summary>
    [FieldOffset(16)] public ulong addr;
    /// <summary>Buffer size, iovec count, or the mode for FALLOCATE.</summary>
    [FieldOffset(24)] public uint len;
    /// <summary>RWF_* flags for read/write opcodes (union).</summary>
    [FieldOffset(28)] public uint rw_flags;
    /// <summary>IORING_FSYNC_* flags (union with rw_flags).</summary>
    [FieldOffset(28)] public uint fsync_flags;
    /// <summary>Poll mask for IORING_OP_POLL_ADD, little-endian word order (union with rw_flags).</summary>
    [FieldOffset(28)] public uint poll32_events;
    /// <summary>MSG_* flags for the socket opcodes (union with rw_flags).</summary>
    [FieldOffset(28)] public uint msg_flags;
    /// <summary>IORING_TIMEOUT_* flags (union with rw_flags).</summary>
    [FieldOffset(28)] public uint timeout_flags;
    /// <summary>IORING_ASYNC_CANCEL_* flags (union with rw_flags).</summary>
    [FieldOffset(28)] public uint cancel_flags;
    /// <summary>IORING_URING_CMD_* flags (union with rw_flags).</summary>
    [FieldOffset(28)] public uint uring_cmd_flags;
    /// <summary>Opaque value copied to the completion's user_data.</summary>
    [FieldOffset(32)] public ulong user_data;
    /// <summary>Registered-buffer index for READ_FIXED/WRITE_FIXED (union with buf_group).</summary>
    [FieldOffset(40)] public ushort buf_index;
    /// <summary>Buffer group for IOSQE_BUFFER_SELECT (union with buf_index).</summary>
    [FieldOffset(40)] public ushort buf_group;
    /// <summary>Registered credentials to issue with.</summary>
    [FieldOffset(42)] public ushort personality;
    /// <summary>Splice input descriptor (union with file_index).</summary>
    [FieldOffset(44)] public int splice_fd_in;
    /// <summary>Direct-descriptor slot for opcodes that create files (union with splice_fd_in).</summary>
    [FieldOffset(44)] public uint file_index;
    /// <summary>Third address.</summary>
    [FieldOffset(48)] public ulong addr3;
}

/// <summary>struct io_uring_cqe: one 16-byte completion queue entry (without IORING_SETUP_CQE32).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_uring_cqe
{
    /// <summary>The submission's user_data.</summary>
    public ulong user_data;
    /// <summary>Result: bytes or a non-negative value on success, -errno on failure.</summary>
    public int res;
    /// <summary>IORING_CQE_F_* flags.</summary>
    public uint flags;
}

/// <summary>struct __kernel_timespec: the 64-bit time of IORING_OP_TIMEOUT, whatever the libc's time_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct __kernel_timespec
{
    /// <summary>Seconds.</summary>
    public long tv_sec;
    /// <summary>Nanoseconds.</summary>
    public long tv_nsec;
}

/// <summary>struct io_uring_probe_op: one opcode's entry in an IORING_REGISTER_PROBE answer.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_uring_probe_op
{
    /// <summary>The opcode.</summary>
    public byte op;
    /// <summary>Reserved.</summary>
    public byte resv;
    /// <summary>IO_URING_OP_* flags.</summary>
    public ushort flags;
    /// <summary>Reserved.</summary>
    public uint resv2;
}

/// <summary>struct io_uring_probe without its flexible <c>ops[]</c> tail of io_uring_probe_op.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct io_uring_probe
{
    /// <summary>Highest opcode the kernel knows.</summary>
    public byte last_op;
    /// <summary>Entries of ops[] the kernel filled.</summary>
    public byte ops_len;
    /// <summary>Reserved.</summary>
    public ushort resv;
    /// <summary>Reserved.</summary>
    public fixed uint resv2[3];
}

/// <summary>struct io_uring_files_update: argument of IORING_REGISTER_FILES_UPDATE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_uring_files_update
{
    /// <summary>First registered-file slot to replace.</summary>
    public uint offset;
    /// <summary>Must be zero.</summary>
    public uint resv;
    /// <summary>Address of an int array of descriptors (-1 clears a slot).</summary>
    public ulong fds;
}
