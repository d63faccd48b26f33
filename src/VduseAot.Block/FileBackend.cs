using System;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Block;

/// <summary>
/// A regular file or a block device, read and written through each queue thread's io_uring straight
/// between the guest's buffers and the file (READV/WRITEV, no bounce copy). Opening makes syscalls;
/// the request path only prepares SQEs.
/// </summary>
public sealed unsafe class FileBackend : IBlockBackend
{
    private readonly OwnedFd _fd;
    private ulong _capacity;

    private FileBackend(string path, OwnedFd fd, ulong capacity, bool readOnly, bool isBlockDevice, bool direct)
    {
        Path = path;
        _fd = fd;
        _capacity = capacity;
        ReadOnly = readOnly;
        IsBlockDevice = isBlockDevice;
        Direct = direct;
    }

    /// <summary>The path given.</summary>
    public string Path { get; }

    /// <summary>The open file (-1 once disposed).</summary>
    public int Fd => _fd.Value;

    /// <summary>True for a block device (discard through BLKDISCARD).</summary>
    public bool IsBlockDevice { get; }

    /// <summary>Opened with O_DIRECT.</summary>
    public bool Direct { get; }

    /// <inheritdoc />
    public ulong CapacityBytes => System.Threading.Volatile.Read(ref _capacity);

    /// <inheritdoc />
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public BlkBackendFeatures Features => BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes;

    /// <summary>Set when the file system refused FALLOC_FL_ZERO_RANGE once (tmpfs): later zeroing punches holes instead.</summary>
    internal bool ZeroRangeUnsupported { get; set; }

    /// <inheritdoc />
    public string Describe() => (IsBlockDevice ? "block device " : "file ") + Path + " (" + SizeText.Format(CapacityBytes)
        + (Direct ? ", direct" : "") + (ReadOnly ? ", read-only" : "") + ")";

    /// <summary>
    /// Opens <paramref name="path"/>. A regular file is created or extended to <paramref name="size"/>
    /// when given; otherwise the size comes from the file or BLKGETSIZE64. A file that cannot be
    /// written is served read-only (<paramref name="readOnlyReason"/> says why).
    /// </summary>
    public static FileBackend Open(string path, ulong? size, bool direct, bool readOnly, uint logicalBlockSize, out string? readOnlyReason)
    {
        OwnedFd owned = OpenWithFallback(path, size.HasValue, direct, ref readOnly, out readOnlyReason);
        try
        {
            int fd = owned.Value;
            (bool isBlock, ulong current) = StatFileOrDevice(fd, path);
            ulong capacity = size.HasValue ? ApplySize(fd, path, isBlock, current, size.Value, readOnly) : current;
            if (capacity == 0 || capacity % logicalBlockSize != 0)
            {
                throw new BackendException(path + ": size " + capacity + " is not a positive multiple of the logical block size " + logicalBlockSize
                    + " (pass --size, or --logical-block-size 512)");
            }

            if (direct)
            {
                CheckDirectAlignment(fd, path, logicalBlockSize);
            }

            return new FileBackend(path, owned, capacity, readOnly, isBlock, direct);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens read-write (creating a regular file when <paramref name="create"/>) unless <paramref name="readOnly"/>;
    /// a file we may not write is opened read-only instead, and <paramref name="readOnly"/> set with the reason.
    /// </summary>
    private static OwnedFd OpenWithFallback(string path, bool create, bool direct, ref bool readOnly, out string? readOnlyReason)
    {
        readOnlyReason = null;
        int flags = LibC.O_CLOEXEC | (direct ? LibC.O_DIRECT : 0);
        if (!readOnly)
        {
            OwnedFd? fd = OwnedFd.FromResult(Sys.Open(path, flags | LibC.O_RDWR | (create ? LibC.O_CREAT : 0), 0x1a0 /* 0640 */));
            if (fd is not null)
            {
                return fd;
            }

            Errno e = ErrnoExtensions.Last();
            if (e is not (Errno.EACCES or Errno.EPERM or Errno.EROFS))
            {
                throw new BackendException(OpenFailure(path, e));
            }

            readOnlyReason = path + " is not writable (" + e.Describe() + "): serving it read-only";
            readOnly = true;
        }

        return OwnedFd.FromResult(Sys.Open(path, flags | LibC.O_RDONLY, 0)) ?? throw new BackendException(OpenFailure(path, ErrnoExtensions.Last()));
    }

    /// <summary>Whether the open file is a block device, and its size now; anything but a regular file or a block device is refused.</summary>
    private static (bool IsBlock, ulong Bytes) StatFileOrDevice(int fd, string path)
    {
        stat st;
        if (LibC.fstat(fd, &st) < 0)
        {
            throw new BackendException("cannot stat " + path + ": " + ErrnoExtensions.Last().Describe());
        }

        mode_t type = st.st_mode & LibC.S_IFMT;
        bool isBlock = type == LibC.S_IFBLK;
        if (!isBlock && type != LibC.S_IFREG)
        {
            throw new BackendException(path + " is neither a regular file nor a block device");
        }

        return (isBlock, isBlock ? BlockDeviceSize(fd, path) : (ulong)(long)st.st_size);
    }

    /// <summary>--size: extends a smaller regular file to it; a block device must hold it already.</summary>
    private static ulong ApplySize(int fd, string path, bool isBlock, ulong current, ulong size, bool readOnly)
    {
        if (!isBlock && current < size)
        {
            if (readOnly)
            {
                throw new BackendException(path + " is smaller than --size and cannot be extended read-only");
            }

            if (LibC.ftruncate(fd, (long)size) < 0)
            {
                throw new BackendException("cannot extend " + path + " to " + size + " bytes: " + ErrnoExtensions.Last().Describe());
            }
        }
        else if (size > current)
        {
            throw new BackendException("--size " + size + " is larger than block device " + path + " (" + current + " bytes)");
        }

        return size;
    }

    private static string OpenFailure(string path, Errno e) => "cannot open " + path + ": " + e.Describe() + e switch
    {
        Errno.ENOENT => " (create it, or pass --size SIZE to have it created)",
        Errno.EINVAL => " (the file system may not support O_DIRECT: drop --direct)",
        _ => "",
    };

    private static ulong BlockDeviceSize(int fd, string path)
    {
        ulong bytes;
        if (LibC.ioctl(fd, BlockIoctl.BLKGETSIZE64, &bytes) < 0)
        {
            throw new BackendException("BLKGETSIZE64 on " + path + " failed: " + ErrnoExtensions.Last().Describe());
        }

        return bytes;
    }

    /// <summary>
    /// O_DIRECT needs offsets and lengths aligned to what the file system or device wants. Guest
    /// requests are aligned to the logical block size, so a probe read of that size must work.
    /// </summary>
    private static void CheckDirectAlignment(int fd, string path, uint logicalBlockSize)
    {
        void* buffer = NativeMemory.AlignedAlloc(4096, 4096);
        try
        {
            if (LibC.pread(fd, buffer, logicalBlockSize, 0) < 0)
            {
                Errno e = ErrnoExtensions.Last();
                throw new BackendException(e == Errno.EINVAL
                    ? "--direct on " + path + " needs a larger alignment than " + logicalBlockSize + " bytes: add --logical-block-size 4096"
                    : "--direct probe read of " + path + " failed: " + e.Describe());
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>
    /// A regular file smaller than the new capacity is extended with ftruncate (sparse: the new range
    /// reads as zeroes and takes no space until written); a shrink leaves the file's bytes alone, like
    /// --size smaller than the file. A block device cannot grow past its own size.
    /// </summary>
    public void Resize(ulong capacityBytes)
    {
        ulong available = CurrentSize();
        if (capacityBytes > available)
        {
            if (IsBlockDevice)
            {
                throw new BackendException("block device " + Path + " has " + available + " bytes: it cannot serve " + capacityBytes);
            }

            if (ReadOnly)
            {
                throw new BackendException(Path + " is served read-only and cannot be extended to " + capacityBytes + " bytes");
            }

            if (LibC.ftruncate(Fd, (long)capacityBytes) < 0)
            {
                throw new BackendException("cannot extend " + Path + " to " + capacityBytes + " bytes: " + ErrnoExtensions.Last().Describe());
            }
        }

        System.Threading.Volatile.Write(ref _capacity, capacityBytes);
    }

    private ulong CurrentSize()
    {
        if (IsBlockDevice)
        {
            return BlockDeviceSize(Fd, Path);
        }

        stat st;
        if (LibC.fstat(Fd, &st) < 0)
        {
            throw new BackendException("cannot stat " + Path + ": " + ErrnoExtensions.Last().Describe());
        }

        return (ulong)(long)st.st_size;
    }

    /// <inheritdoc />
    public IBlockQueueIo OpenQueue(IoUring? ring) =>
        new FileQueueIo(this, ring ?? throw new ArgumentNullException(nameof(ring), "the file backend needs the queue thread's io_uring"));

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
