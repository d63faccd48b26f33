using System;
using System.Net.Sockets;
using System.Text;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram per state change to the Unix socket named by
/// $NOTIFY_SOCKET (a path, or '@' for the abstract namespace), so a Type=notify unit knows when the
/// disk exists and when the teardown has begun. Without $NOTIFY_SOCKET it does nothing; a failure to
/// send is a warning, never fatal.
/// </summary>
public sealed class SystemdNotify
{
    private readonly string? _socket;
    private readonly string _name;

    /// <summary>Notifies <paramref name="socket"/> (normally $NOTIFY_SOCKET; null or empty: nothing) for device <paramref name="name"/>.</summary>
    public SystemdNotify(string? socket, string name)
    {
        _socket = string.IsNullOrEmpty(socket) ? null : socket;
        _name = name;
    }

    /// <summary>From the environment.</summary>
    public static SystemdNotify FromEnvironment(string name) => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), name);

    /// <summary>The endpoint for $NOTIFY_SOCKET: '@' stands for the abstract namespace's leading NUL.</summary>
    public static UnixDomainSocketEndPoint EndPoint(string socket)
    {
        ArgumentException.ThrowIfNullOrEmpty(socket);
        return new UnixDomainSocketEndPoint(socket[0] == '@' ? "\0" + socket.Substring(1) : socket);
    }

    /// <summary>READY=1 with a status line.</summary>
    public void Ready(string status) => Send("READY=1\nSTATUS=" + status + "\n");

    /// <summary>STOPPING=1 with a status line.</summary>
    public void Stopping(string status) => Send("STOPPING=1\nSTATUS=" + status + "\n");

    /// <summary>Sends one datagram of newline-separated assignments; returns false when it could not.</summary>
    public bool Send(string state)
    {
        if (_socket == null)
        {
            return false;
        }

        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            s.SendTo(Encoding.UTF8.GetBytes(state), EndPoint(_socket));
            return true;
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            Log.Write(LogLevel.Warn, _name, "cannot notify systemd on " + _socket + ": " + e.Message);
            return false;
        }
    }
}
