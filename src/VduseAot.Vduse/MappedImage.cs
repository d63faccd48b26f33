using System;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A disk image in a file on a memory file system (tmpfs, ramfs), mapped MAP_SHARED so reads and
/// writes are plain copies: the file's pages are the page cache, there is nothing to gain from a
/// system call per request. The bytes outlive the process (a successor maps the same file). The
/// mapping sits at the start of a larger address-space reservation, so growing the file extends it
/// in place while queue threads keep using it.
/// </summary>
public sealed unsafe class MappedImage : IMemoryImage
{
    private const ulong Page = 4096;
    private readonly OwnedFd _fd;
    private readonly byte* _base;
    private readonly ulong _reserved;
    private readonly bool _writable;
    private readonly string _path;

    private MappedImage(string path, OwnedFd fd, byte* @base, ulong reserved, ulong length, bool writable)
    {
        _path = path;
        _fd = fd;
        _base = @base;
        _reserved = reserved;
        _writable = writable;
        Length = length;
    }

    /// <inheritdoc />
    public byte* Data => _base;

    /// <inheritdoc />
    public ulong Length { get; private set; }

    /// <summary>True when <paramref name="path"/> is a regular file on tmpfs or ramfs.</summary>
    public static bool IsOnMemoryFileSystem(string path)
    {
        using OwnedFd? fd = OwnedFd.FromResult(Sys.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0));
        if (fd is null)
        {
            return false;
        }

        statfs fs;
        stat st;
        return Sys.fstatfs(fd.Value, &fs) == 0 && (fs.f_type == Sys.TMPFS_MAGIC || fs.f_type == Sys.RAMFS_MAGIC)
            && LibC.fstat(fd.Value, &st) == 0 && (st.st_mode & LibC.S_IFMT) == LibC.S_IFREG;
    }

    /// <summary>
    /// Maps <paramref name="path"/> as a <paramref name="length"/>-byte image, creating it when missing
    /// and sizing it as <paramref name="how"/> says (see <see cref="MappedFile.OpenSized"/>).
    /// </summary>
    public static MappedImage Open(string path, ulong length, ImageOpen how, bool writable = true)
    {
        OwnedFd fd = MappedFile.OpenSized(path, length, how, writable);
        byte* reservation = null;
        ulong reserved = 0;
        try
        {
            // Room to grow in place: resizing never moves the image under the queue threads.
            reserved = RoundUp(Math.Max(length * 4, 64UL << 30));
            reservation = (byte*)LibC.mmap(null, (size_t)(ulong)reserved, LibC.PROT_NONE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
            if (reservation == LibC.MAP_FAILED)
            {
                reservation = null;
                throw new VduseException("cannot reserve address space for " + path + ": " + ErrnoExtensions.Last().Describe());
            }

            var image = new MappedImage(path, fd, reservation, reserved, length, writable);
            if (image.Map(length) is string error)
            {
                throw new VduseException(error);
            }

            return image;
        }
        catch
        {
            if (reservation != null)
            {
                _ = LibC.munmap(reservation, (size_t)(ulong)reserved);
            }

            fd.Dispose();
            throw;
        }
    }

    private string? Map(ulong length)
    {
        int prot = LibC.PROT_READ | (_writable ? LibC.PROT_WRITE : 0);
        if (LibC.mmap(_base, (size_t)RoundUp(length), prot, LibC.MAP_SHARED | LibC.MAP_FIXED, _fd.Value, 0) == LibC.MAP_FAILED)
        {
            return "cannot map " + _path + ": " + ErrnoExtensions.Last().Describe();
        }

        return null;
    }

    /// <inheritdoc />
    public bool Release(ulong offset, ulong length) =>
        _writable && LibC.madvise(_base + offset, (size_t)(ulong)length, LibC.MADV_REMOVE) == 0;

    /// <inheritdoc />
    public string? Resize(ulong length)
    {
        if (RoundUp(length) > _reserved)
        {
            return "the image can grow to " + SizeText.Format(_reserved) + " without a restart";
        }

        if (!_writable)
        {
            return _path + " is open read-only";
        }

        if (length > Length)
        {
            // File first, mapping second: no page of the mapping is ever past the end of the file.
            if (LibC.ftruncate(_fd.Value, (long)length) < 0)
            {
                return "cannot grow " + _path + ": " + ErrnoExtensions.Last().Describe();
            }

            string? error = Map(length);
            if (error != null)
            {
                return error;
            }
        }

        // Shrinking keeps the file and the mapping: requests in flight may still touch the old tail,
        // and a shorter file would turn that into SIGBUS. The capacity is what the guest sees.
        Length = length;
        return null;
    }

    /// <inheritdoc />
    public string Describe() => _path + (_writable ? ", shared mapping" : ", read-only mapping");

    /// <inheritdoc />
    public void Dispose()
    {
        _ = LibC.munmap(_base, (size_t)(ulong)_reserved);
        _fd.Dispose();
    }

    private static ulong RoundUp(ulong bytes) => (bytes + Page - 1) & ~(Page - 1);
}
