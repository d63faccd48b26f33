using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Network;

/// <summary>
/// Opens a stream socket to a <see cref="NetworkEndpoint"/> with a bounded connect, for handshakes
/// (blocking, with send and receive timeouts) and then the queue thread's io_uring. Not on the request
/// path: it resolves names and allocates.
/// </summary>
public static unsafe class SocketConnect
{
    /// <summary>
    /// Connects within <paramref name="timeoutMs"/>; TCP sockets get TCP_NODELAY (a request header must
    /// not wait for the previous one's acknowledgement). Throws <see cref="NetworkException"/> naming the
    /// endpoint and the errno.
    /// </summary>
    public static OwnedFd Connect(NetworkEndpoint endpoint, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Span<byte> address = stackalloc byte[128];
        int length;
        int family;
        if (endpoint.UnixPath != null)
        {
            family = LibC.AF_UNIX;
            length = UnixAddress(endpoint.UnixPath, address);
        }
        else
        {
            IPAddress ip = Resolve(endpoint);
            family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? LibC.AF_INET6 : LibC.AF_INET;
            length = InetAddress(ip, endpoint.Port, address);
        }

        OwnedFd fd = OwnedFd.FromResult(LibC.socket(family, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK, 0))
            ?? throw new NetworkException("cannot create a socket for " + endpoint + ": " + ErrnoExtensions.Last().Describe());
        try
        {
            ConnectWithin(fd.Value, address.Slice(0, length), endpoint, timeoutMs);
            SetBlocking(fd.Value);
            if (family != LibC.AF_UNIX)
            {
                int one = 1;
                _ = LibC.setsockopt(fd.Value, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &one, sizeof(int));
            }

            SetTimeouts(fd.Value, timeoutMs);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Sets SO_RCVTIMEO and SO_SNDTIMEO (0: none, as the io_uring data path wants).</summary>
    public static void SetTimeouts(int fd, int timeoutMs)
    {
        long* tv = stackalloc long[2];
        tv[0] = timeoutMs / 1000;
        tv[1] = timeoutMs % 1000 * 1000;
        _ = LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, tv, 16);
        _ = LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDTIMEO, tv, 16);
    }

    private static void ConnectWithin(int fd, ReadOnlySpan<byte> address, NetworkEndpoint endpoint, int timeoutMs)
    {
        fixed (byte* a = address)
        {
            if (LibC.connect(fd, (sockaddr*)a, (uint)address.Length) == 0)
            {
                return;
            }
        }

        Errno e = ErrnoExtensions.Last();
        if (e != Errno.EINPROGRESS && e != Errno.EAGAIN)
        {
            throw new NetworkException("cannot connect to " + endpoint + ": " + e.Describe());
        }

        pollfd p = new() { fd = fd, events = LibC.POLLOUT };
        int ready;
        do
        {
            ready = Sys.poll(&p, 1, timeoutMs);
        }
        while (ready < 0 && ErrnoExtensions.Last() == Errno.EINTR);

        if (ready == 0)
        {
            throw new NetworkException("cannot connect to " + endpoint + ": no answer within " + timeoutMs + " ms");
        }

        int error = 0;
        socklen_t size = sizeof(int);
        if (ready < 0 || LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &size) < 0)
        {
            throw new NetworkException("cannot connect to " + endpoint + ": " + ErrnoExtensions.Last().Describe());
        }

        if (error != 0)
        {
            throw new NetworkException("cannot connect to " + endpoint + ": " + ((Errno)error).Describe());
        }
    }

    private static void SetBlocking(int fd)
    {
        int flags = LibC.fcntl(fd, LibC.F_GETFL);
        _ = LibC.fcntl(fd, LibC.F_SETFL, flags & ~LibC.O_NONBLOCK);
    }

    private static IPAddress Resolve(NetworkEndpoint endpoint)
    {
        if (IPAddress.TryParse(endpoint.Host, out IPAddress? ip))
        {
            return ip;
        }

        try
        {
            IPAddress[] all = Dns.GetHostAddresses(endpoint.Host!);
            return all.Length > 0 ? all[0] : throw new NetworkException("cannot resolve " + endpoint.Host + ": no address");
        }
        catch (SocketException e)
        {
            throw new NetworkException("cannot resolve " + endpoint.Host + " (" + e.Message + "): give the server's IP address");
        }
    }

    private static int UnixAddress(string path, Span<byte> address)
    {
        address.Clear();
        BitConverter.TryWriteBytes(address, (ushort)LibC.AF_UNIX);
        int n = Encoding.UTF8.GetBytes(path, address.Slice(2, NetworkEndpoint.MaxUnixPathBytes - 1));
        return 2 + n + 1;
    }

    private static int InetAddress(IPAddress ip, int port, Span<byte> address)
    {
        address.Clear();
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        BitConverter.TryWriteBytes(address, (ushort)(v6 ? LibC.AF_INET6 : LibC.AF_INET));
        address[2] = (byte)(port >> 8);
        address[3] = (byte)port;
        if (v6)
        {
            ip.TryWriteBytes(address.Slice(8, 16), out _);
            BitConverter.TryWriteBytes(address.Slice(24), (uint)ip.ScopeId);
            return 28;
        }

        ip.TryWriteBytes(address.Slice(4, 4), out _);
        return 16;
    }
}
