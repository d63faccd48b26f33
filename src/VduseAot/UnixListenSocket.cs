using System;
using System.Text;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// A listening Unix stream socket made with socket/bind/listen directly. The control socket must
/// exist before `serve` says ready, but System.Net.Sockets' first use (tens of milliseconds under
/// emulation) would sit between a takeover's queues running again and that line: the listener is
/// made here and handed to a <see cref="System.Net.Sockets.Socket"/> on the server's own thread.
/// </summary>
public static unsafe class UnixListenSocket
{
    // sizeof(sockaddr_un.sun_path); StateDirectory.CheckSocketPathLength keeps paths shorter.
    private const int SunPathBytes = 108;

    /// <summary>Binds <paramref name="path"/> (mode 0600, owner only) and listens; throws <see cref="VduseException"/> with the errno.</summary>
    public static OwnedFd Listen(string path, int backlog)
    {
        OwnedFd fd = OwnedFd.FromResult(LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0))
            ?? throw new VduseException("cannot create the control socket " + path + ": " + ErrnoExtensions.Last().Describe());
        try
        {
            Span<byte> address = stackalloc byte[2 + SunPathBytes];
            int length = Address(path, address);
            fixed (byte* a = address)
            {
                if (LibC.bind(fd.Value, (sockaddr*)a, (uint)length) < 0)
                {
                    throw Failure(path, "bind");
                }
            }

            // fchmod on a socket does not reach its file: the path's mode is what connect checks.
            fixed (byte* p = address.Slice(2))
            {
                if (LibC.chmod(p, 0x180 /* 0600 */) < 0)
                {
                    throw Failure(path, "chmod");
                }
            }

            if (LibC.listen(fd.Value, backlog) < 0)
            {
                throw Failure(path, "listen");
            }

            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>True when a process listens on <paramref name="path"/> (a connect succeeds); false for a socket file nobody serves.</summary>
    public static bool Answers(string path)
    {
        using OwnedFd? fd = Connect(path, out _);
        return fd is not null;
    }

    /// <summary>A stream socket connected to <paramref name="path"/>; null, with the reason in <paramref name="error"/>, when nobody listens there (or no socket could be made).</summary>
    public static OwnedFd? Connect(string path, out Errno error)
    {
        error = Errno.OK;
        OwnedFd? fd = OwnedFd.FromResult(LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0));
        if (fd is null)
        {
            error = ErrnoExtensions.Last();
            return null;
        }

        Span<byte> address = stackalloc byte[2 + SunPathBytes];
        int length = Address(path, address);
        fixed (byte* a = address)
        {
            if (LibC.connect(fd.Value, (sockaddr*)a, (uint)length) == 0)
            {
                return fd;
            }
        }

        error = ErrnoExtensions.Last();
        fd.Dispose();
        return null;
    }

    /// <summary>sockaddr_un for <paramref name="path"/> into <paramref name="address"/>; its length.</summary>
    public static int Address(string path, Span<byte> address)
    {
        ArgumentNullException.ThrowIfNull(path);
        address.Clear();
        BitConverter.TryWriteBytes(address, (ushort)LibC.AF_UNIX);
        int n = Encoding.UTF8.GetBytes(path, address.Slice(2, SunPathBytes - 1));
        return 2 + n + 1;
    }

    private static VduseException Failure(string path, string call) =>
        new("cannot create the control socket " + path + ": " + call + " failed: " + ErrnoExtensions.Last().Describe());
}
