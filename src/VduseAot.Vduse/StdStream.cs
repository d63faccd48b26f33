using System;
using System.Text;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Lines to stdout and stderr with write(2) on the descriptor, not through System.Console: the
/// Console's first use sets up encoders, streams and terminal state, milliseconds a takeover (whose
/// guest I/O waits) spends before its first log line. Lines are written whole (a partial write is
/// continued), so daemons sharing a log file never interleave within a line.
/// </summary>
public static class StdStream
{
    /// <summary>Standard output.</summary>
    public const int Out = 1;

    /// <summary>Standard error.</summary>
    public const int Error = 2;

    /// <summary>Writes <paramref name="line"/> and a newline to <paramref name="fd"/>; false when the descriptor refused it (closed, EPIPE).</summary>
    public static bool WriteLine(int fd, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        byte[] bytes = new byte[Encoding.UTF8.GetMaxByteCount(line.Length) + 1];
        int n = Encoding.UTF8.GetBytes(line, bytes);
        bytes[n++] = (byte)'\n';
        return WriteAll(fd, bytes.AsSpan(0, n));
    }

    private static unsafe bool WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                long w = LibC.write(fd, start + done, bytes.Length - done);
                if (w < 0)
                {
                    if (ErrnoExtensions.Last() == Errno.EINTR)
                    {
                        continue;
                    }

                    return false;
                }

                done += (int)w;
            }
        }

        return true;
    }
}
