using System;
using System.Text;
using Tmds.Linux;

namespace VduseAot.Interop;

// Ours: System.IO.File.ReadAllText sets up a FileStream, a reader and a decoder, whose first use is
// milliseconds of a takeover's start-up under emulation.
public static unsafe partial class Sys
{
    /// <summary>
    /// The first <paramref name="maxBytes"/> bytes (at most 4096) of a small file such as one in /proc,
    /// as ASCII text; null when it cannot be opened or read.
    /// </summary>
    public static string? ReadText(string path, int maxBytes = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, 4096);
        int fd = Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            return null;
        }

        byte* buffer = stackalloc byte[maxBytes];
        int length = 0;
        try
        {
            while (length < maxBytes)
            {
                long n = LibC.read(fd, buffer + length, (size_t)(ulong)(maxBytes - length));
                if (n < 0)
                {
                    if (LibC.errno == LibC.EINTR)
                    {
                        continue;
                    }

                    return null;
                }

                if (n == 0)
                {
                    break;
                }

                length += (int)n;
            }
        }
        finally
        {
            _ = LibC.close(fd);
        }

        return Encoding.ASCII.GetString(buffer, length);
    }
}
