using System;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network;

/// <summary>
/// Whole-buffer reads and writes on a blocking socket (with SO_RCVTIMEO/SO_SNDTIMEO set), for the
/// handshakes before a connection goes to the queue thread. Failures throw <see cref="NetworkException"/>
/// naming the server and what was being done.
/// </summary>
public readonly unsafe struct BlockingSocket
{
    private readonly int _fd;
    private readonly string _peer;

    /// <summary>Wraps connected socket <paramref name="fd"/> to <paramref name="peer"/> (for messages).</summary>
    public BlockingSocket(int fd, string peer)
    {
        _fd = fd;
        _peer = peer;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes while doing <paramref name="what"/>.</summary>
    public void Read(Span<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long n = LibC.recv(_fd, p + done, buffer.Length - done, 0);
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }

                Errno e = n == 0 ? Errno.OK : ErrnoExtensions.Last();
                if (e == Errno.EINTR)
                {
                    continue;
                }

                throw new NetworkException(_peer + " " + (n == 0 ? "closed the connection" : Failure(e)) + " during " + what);
            }
        }
    }

    /// <summary>Writes all of <paramref name="buffer"/> while doing <paramref name="what"/>.</summary>
    public void Write(ReadOnlySpan<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long n = LibC.send(_fd, p + done, buffer.Length - done, LibC.MSG_NOSIGNAL);
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }

                Errno e = ErrnoExtensions.Last();
                if (e != Errno.EINTR)
                {
                    throw new NetworkException("cannot send to " + _peer + " during " + what + ": " + Failure(e));
                }
            }
        }
    }

    /// <summary>One best-effort send (a goodbye): errors are ignored.</summary>
    public void TrySend(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            _ = LibC.send(_fd, p, buffer.Length, LibC.MSG_NOSIGNAL | LibC.MSG_DONTWAIT);
        }
    }

    private static string Failure(Errno e) => e is Errno.EAGAIN ? "did not answer in time" : "failed: " + e.Describe();
}
