using System;
using System.Globalization;
using Tmds.Linux;
using VduseAot.Interop;
using io_uring_files_update = VduseAot.Interop.io_uring_files_update;
using io_uring_probe = VduseAot.Interop.io_uring_probe;
using io_uring_probe_op = VduseAot.Interop.io_uring_probe_op;

namespace VduseAot.Uring;

// io_uring_register(2): registered files and buffers, and the opcode probe. These run at start-up or
// on reconfiguration, not per request.
public sealed unsafe partial class IoUring
{
    /// <summary>Most opcodes an io_uring_probe can describe (opcode is a byte).</summary>
    private const int ProbeOps = 256;

    /// <summary>
    /// Registers <paramref name="fds"/> as the ring's fixed files: SQEs with IOSQE_FIXED_FILE then name a
    /// file by its index here, which saves the per-request file lookup and reference count. An entry of -1
    /// leaves a sparse slot for <see cref="UpdateFiles"/>.
    /// </summary>
    /// <exception cref="IoUringException">The kernel refused (EBUSY: files are already registered).</exception>
    public void RegisterFiles(ReadOnlySpan<int> fds)
    {
        fixed (int* p = fds)
        {
            Register(IoUringUapi.IORING_REGISTER_FILES, p, (uint)fds.Length, "IORING_REGISTER_FILES", static e => e switch
            {
                Errno.EBUSY => "files are already registered; UnregisterFiles first",
                Errno.EBADF => "one of the descriptors is not open",
                Errno.EMFILE => "more files than RLIMIT_NOFILE allows",
                _ => null,
            });
        }
    }

    /// <summary>
    /// Replaces registered-file slots starting at <paramref name="offset"/> with <paramref name="fds"/>
    /// (-1 clears a slot). Requests already in flight keep the file they started with.
    /// </summary>
    public void UpdateFiles(uint offset, ReadOnlySpan<int> fds)
    {
        fixed (int* p = fds)
        {
            var update = new io_uring_files_update { offset = offset, fds = (ulong)p };
            int done = Register(IoUringUapi.IORING_REGISTER_FILES_UPDATE, &update, (uint)fds.Length, "IORING_REGISTER_FILES_UPDATE", static e => e switch
            {
                Errno.ENXIO => "no files are registered; RegisterFiles first",
                Errno.EINVAL => "the slots lie beyond the registered file table",
                _ => null,
            });
            if (done != fds.Length)
            {
                throw new IoUringException("IORING_REGISTER_FILES_UPDATE replaced " + done.ToString(CultureInfo.InvariantCulture)
                    + " of " + fds.Length.ToString(CultureInfo.InvariantCulture) + " slots");
            }
        }
    }

    /// <summary>Drops the registered files (waits for requests that use them to finish).</summary>
    public void UnregisterFiles()
        => Register(IoUringUapi.IORING_UNREGISTER_FILES, null, 0, "IORING_UNREGISTER_FILES", static e => e == Errno.ENXIO ? "no files are registered" : null);

    /// <summary>
    /// Registers <paramref name="buffers"/> for IORING_OP_READ_FIXED/WRITE_FIXED: the kernel pins the pages
    /// once instead of per request. Buffer index i is <paramref name="buffers"/>[i].
    /// </summary>
    public void RegisterBuffers(ReadOnlySpan<iovec> buffers)
    {
        fixed (iovec* p = buffers)
        {
            Register(IoUringUapi.IORING_REGISTER_BUFFERS, p, (uint)buffers.Length, "IORING_REGISTER_BUFFERS", static e => e switch
            {
                Errno.EBUSY => "buffers are already registered; UnregisterBuffers first",
                Errno.ENOMEM => "cannot pin that much memory: raise RLIMIT_MEMLOCK",
                Errno.EFAULT => "a buffer is not mapped memory that can be pinned",
                _ => null,
            });
        }
    }

    /// <summary>Drops the registered buffers.</summary>
    public void UnregisterBuffers()
        => Register(IoUringUapi.IORING_UNREGISTER_BUFFERS, null, 0, "IORING_UNREGISTER_BUFFERS", static e => e == Errno.ENXIO ? "no buffers are registered" : null);

    /// <summary>Asks the kernel which opcodes it implements (IORING_REGISTER_PROBE, Linux 5.6).</summary>
    /// <exception cref="IoUringException">The kernel cannot probe (before 5.6).</exception>
    public IoUringProbe Probe()
    {
        int size = sizeof(io_uring_probe) + (ProbeOps * sizeof(io_uring_probe_op));
        byte* buffer = stackalloc byte[size];
        new Span<byte>(buffer, size).Clear();
        Register(IoUringUapi.IORING_REGISTER_PROBE, buffer, ProbeOps, "IORING_REGISTER_PROBE",
            static e => e == Errno.EINVAL ? "this kernel cannot list its io_uring opcodes; need Linux >= 5.6" : null);
        var probe = (io_uring_probe*)buffer;
        var ops = new ReadOnlySpan<io_uring_probe_op>(buffer + sizeof(io_uring_probe), Math.Min((int)probe->ops_len, ProbeOps));
        return new IoUringProbe(probe->last_op, ops);
    }

    private int Register(uint opcode, void* arg, uint count, string what, Func<Errno, string?> hint)
    {
        while (true)
        {
            int ret = Sys.io_uring_register(RingFd, opcode, arg, count);
            if (ret >= 0)
            {
                return ret;
            }

            Errno errno = ErrnoExtensions.Last();
            if (errno == Errno.EINTR)
            {
                // Registration waits for the ring to go idle and can be interrupted; nothing changed yet.
                continue;
            }

            throw IoUringException.FromErrno("io_uring_register(" + what + ")", errno, hint(errno));
        }
    }
}
