using System;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A file mapped MAP_SHARED: what the process writes there is in the page cache at once, so it
/// survives the process being killed (not the machine going down, which the device does not survive
/// either). Used for the state file (normally on tmpfs); <see cref="MappedImage"/> maps disk images.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private MappedFile(string path, byte* data, ulong length)
    {
        Path = path;
        Data = data;
        Length = length;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Start of the mapping.</summary>
    public byte* Data { get; private set; }

    /// <summary>Bytes mapped.</summary>
    public ulong Length { get; }

    /// <summary>Maps <paramref name="path"/> read-write with <paramref name="length"/> bytes, sized as <paramref name="how"/> says.</summary>
    public static MappedFile Open(string path, ulong length, ImageOpen how)
    {
        // The mapping keeps the file; the descriptor is not needed past mmap.
        using OwnedFd fd = OpenSized(path, length, how, writable: true);
        void* data = LibC.mmap(null, (size_t)(ulong)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Value, 0);
        if (data == LibC.MAP_FAILED)
        {
            throw new VduseException("cannot map " + path + ": " + ErrnoExtensions.Last().Describe());
        }

        return new MappedFile(path, (byte*)data, length);
    }

    /// <summary>
    /// Opens <paramref name="path"/> (creating it when writable and missing) and gives it
    /// <paramref name="length"/> bytes: <see cref="ImageOpen.Fresh"/> from zeroes,
    /// <see cref="ImageOpen.KeepSameSize"/> keeping a file of exactly that size (else from zeroes),
    /// <see cref="ImageOpen.UserFile"/> never discarding a byte (a shorter file is extended, a longer
    /// one left alone). Returns the descriptor; throws <see cref="VduseException"/> with the reason.
    /// </summary>
    internal static OwnedFd OpenSized(string path, ulong length, ImageOpen how, bool writable)
    {
        OwnedFd owned = OwnedFd.FromResult(Sys.Open(path, (writable ? LibC.O_RDWR | LibC.O_CREAT : LibC.O_RDONLY) | LibC.O_CLOEXEC, 0x180 /* 0600 */))
            ?? throw new VduseException("cannot open " + path + ": " + ErrnoExtensions.Last().Describe());
        try
        {
            int fd = owned.Value;
            stat st;
            if (LibC.fstat(fd, &st) < 0)
            {
                throw new VduseException("cannot stat " + path + ": " + ErrnoExtensions.Last().Describe());
            }

            ulong size = (ulong)(long)st.st_size;
            bool resize = how switch
            {
                ImageOpen.UserFile => size < length,
                ImageOpen.KeepSameSize => size != length,
                _ => true,
            };
            bool zero = how != ImageOpen.UserFile;
            if (writable && resize && ((zero && LibC.ftruncate(fd, 0) < 0) || LibC.ftruncate(fd, (long)length) < 0))
            {
                throw new VduseException("cannot size " + path + " to " + length + " bytes: " + ErrnoExtensions.Last().Describe());
            }

            if (size < length && !writable)
            {
                throw new VduseException(path + " is shorter (" + size + " bytes) than the disk (" + length + " bytes)");
            }

            return owned;
        }
        catch
        {
            owned.Dispose();
            throw;
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
            _ = LibC.munmap(Data, (size_t)(ulong)Length);
            Data = null;
        }
    }
}
