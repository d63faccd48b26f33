using System;
using Tmds.Linux;

namespace VduseAot.Interop;

/// <summary>
/// Descriptors passed over a Unix stream socket (SCM_RIGHTS, unix(7)): a live upgrade hands the
/// device, its sockets and its log streams to the new process. The control message is laid out here
/// (cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type, then the ints) rather than through
/// Tmds.LibC's CMSG helpers, so the one buffer is on the stack and its size is plain.
/// </summary>
public static unsafe partial class Sys
{
    /// <summary>At most this many descriptors travel in one message.</summary>
    public const int MaxPassedFds = 8;

    // CMSG_SPACE(MaxPassedFds * sizeof(int)): the 16-byte header and the ints, 8-aligned.
    private const int CmsgHeaderBytes = 16;
    private const int CmsgBufferBytes = CmsgHeaderBytes + (MaxPassedFds * sizeof(int));

    /// <summary>
    /// sendmsg(2) of <paramref name="data"/> (at least one byte: the descriptors ride on it) with
    /// <paramref name="fds"/> attached; the bytes sent, or -1 with errno. The kernel duplicates the
    /// descriptors into the receiver when it reads the first byte.
    /// </summary>
    public static long SendWithFds(int socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        if (data.IsEmpty || fds.Length > MaxPassedFds)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), "one byte or more, and at most " + MaxPassedFds + " descriptors");
        }

        byte* control = stackalloc byte[CmsgBufferBytes];
        new Span<byte>(control, CmsgBufferBytes).Clear();
        int fdBytes = fds.Length * sizeof(int);
        *(ulong*)control = (ulong)(CmsgHeaderBytes + fdBytes);
        *(int*)(control + 8) = LibC.SOL_SOCKET;
        *(int*)(control + 12) = LibC.SCM_RIGHTS;
        fds.CopyTo(new Span<int>(control + CmsgHeaderBytes, fds.Length));
        fixed (byte* d = data)
        {
            iovec iov = new() { iov_base = d, iov_len = data.Length };
            msghdr msg = new()
            {
                msg_iov = &iov,
                msg_iovlen = 1,
                msg_control = fds.IsEmpty ? null : control,
                msg_controllen = fds.IsEmpty ? 0 : (CmsgHeaderBytes + ((fdBytes + 7) & ~7)),
            };
            return LibC.sendmsg(socket, &msg, LibC.MSG_NOSIGNAL);
        }
    }

    /// <summary>
    /// recvmsg(2) into <paramref name="data"/>; descriptors that came with the bytes go to
    /// <paramref name="fds"/> (close-on-exec), their number to <paramref name="fdCount"/>. Returns the bytes
    /// read (0 at end of stream) or -1 with errno. Descriptors beyond <paramref name="fds"/>' room are closed.
    /// </summary>
    public static long ReceiveWithFds(int socket, Span<byte> data, Span<int> fds, out int fdCount)
    {
        fdCount = 0;
        byte* control = stackalloc byte[CmsgBufferBytes];
        new Span<byte>(control, CmsgBufferBytes).Clear();
        long n;
        msghdr msg;
        fixed (byte* d = data)
        {
            iovec iov = new() { iov_base = d, iov_len = data.Length };
            msg = new() { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = CmsgBufferBytes };
            n = LibC.recvmsg(socket, &msg, LibC.MSG_CMSG_CLOEXEC);
        }

        if (n <= 0 || msg.msg_controllen < CmsgHeaderBytes)
        {
            return n;
        }

        ulong length = *(ulong*)control;
        if (*(int*)(control + 8) != LibC.SOL_SOCKET || *(int*)(control + 12) != LibC.SCM_RIGHTS || length < CmsgHeaderBytes)
        {
            return n;
        }

        int count = (int)Math.Min((length - CmsgHeaderBytes) / sizeof(int), (ulong)MaxPassedFds);
        int* received = (int*)(control + CmsgHeaderBytes);
        for (int i = 0; i < count; i++)
        {
            if (fdCount < fds.Length)
            {
                fds[fdCount++] = received[i];
            }
            else
            {
                _ = LibC.close(received[i]);
            }
        }

        return n;
    }

    /// <summary>The process id of the peer of Unix socket <paramref name="socket"/> (SO_PEERCRED), its user id in <paramref name="uid"/>; -1 on failure.</summary>
    public static int PeerPid(int socket, out uint uid)
    {
        ucred cred = default;
        socklen_t size = (uint)sizeof(ucred);
        uid = uint.MaxValue;
        if (LibC.getsockopt(socket, LibC.SOL_SOCKET, LibC.SO_PEERCRED, &cred, &size) < 0)
        {
            return -1;
        }

        uid = cred.uid;
        return cred.pid;
    }
}
