using System.Collections.Generic;
using System.Text;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Lists a directory with open and getdents64: a takeover finds its /dev/vdX in sysfs before it
/// says ready, and System.IO's enumerators are code that start-up would otherwise run for nothing else.
/// </summary>
public static unsafe class DirectoryEntries
{
    // linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, then the NUL-terminated name.
    private const int RecordLengthOffset = 16;
    private const int TypeOffset = 18;
    private const int NameOffset = 19;

    /// <summary>The names of the subdirectories of <paramref name="path"/> (not "." or ".."), in the kernel's order; none when it cannot be opened.</summary>
    public static List<string> Subdirectories(string path)
    {
        var names = new List<string>();
        using OwnedFd? fd = OwnedFd.FromResult(Sys.Open(path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0));
        if (fd is null)
        {
            return names;
        }

        const int BufferBytes = 4096;
        byte* buffer = stackalloc byte[BufferBytes];
        nint n;
        while ((n = Sys.getdents64(fd.Value, buffer, BufferBytes)) > 0)
        {
            for (nint at = 0; at < n; at += *(ushort*)(buffer + at + RecordLengthOffset))
            {
                byte* record = buffer + at;
                string name = Name(record + NameOffset);
                if (record[TypeOffset] == Sys.DT_DIR && name != "." && name != "..")
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }

    private static string Name(byte* name)
    {
        int length = 0;
        while (name[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(name, length);
    }
}
