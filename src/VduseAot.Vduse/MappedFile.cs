using System;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A file mapped MAP_SHARED: what the process writes there is in the page cache at once, so it
/// survives the process being killed (not the machine going down, which the device does not survive
/// either). Used for the state file and the RAM disk image, both normally on tmpfs.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private MappedFile(string path, byte* data, ulong length, bool existed)
    {
        Path = path;
        Data = data;
        Length = length;
        Existed = existed;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Start of the mapping.</summary>
    public byte* Data { get; private set; }

    /// <summary>Bytes mapped.</summary>
    public ulong Length { get; }

    /// <summary>The file was there before (and was kept) rather than created empty.</summary>
    public bool Existed { get; }

    /// <summary>
    /// Maps <paramref name="path"/> with <paramref name="length"/> bytes. An existing file is kept when
    /// <paramref name="keep"/> and its size is <paramref name="length"/>; otherwise it is truncated to
    /// zero first so every byte reads as zero.
    /// </summary>
    public static MappedFile Open(string path, ulong length, bool keep, bool writable = true)
    {
        int fd = Libc.open(path, (writable ? Libc.O_RDWR : Libc.O_RDONLY) | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0)
        {
            throw new VduseException("cannot open " + path + ": " + ErrnoExtensions.Last().Describe());
        }

        try
        {
            stat st;
            if (Libc.fstat(fd, &st) < 0)
            {
                throw new VduseException("cannot stat " + path + ": " + ErrnoExtensions.Last().Describe());
            }

            bool existed = keep && (ulong)st.st_size == length;
            if (!existed && (Libc.ftruncate(fd, 0) < 0 || Libc.ftruncate(fd, (long)length) < 0))
            {
                throw new VduseException("cannot size " + path + " to " + length + " bytes: " + ErrnoExtensions.Last().Describe());
            }

            void* data = Libc.mmap(null, (nuint)length, Libc.PROT_READ | (writable ? Libc.PROT_WRITE : 0), Libc.MAP_SHARED, fd, 0);
            if (data == Libc.MAP_FAILED)
            {
                throw new VduseException("cannot map " + path + ": " + ErrnoExtensions.Last().Describe());
            }

            return new MappedFile(path, (byte*)data, length, existed);
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    /// <summary>Size of <paramref name="path"/>, or null when it does not exist.</summary>
    public static ulong? SizeOf(string path)
    {
        var info = new System.IO.FileInfo(path);
        return info.Exists ? (ulong)info.Length : null;
    }

    /// <summary>Unmaps (the file stays).</summary>
    public void Dispose()
    {
        if (Data != null)
        {
            _ = Libc.munmap(Data, (nuint)Length);
            Data = null;
        }
    }
}
