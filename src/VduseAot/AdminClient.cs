using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// The CLI's side of an admin socket: one <see cref="AdminProtocol"/> request line out, one reply line
/// back. Every failure is a <see cref="VduseException"/> with one line that says what to check.
/// </summary>
public sealed class AdminClient : IDisposable
{
    private readonly Socket _socket;
    private readonly string _name;
    private readonly LineReader _reader;

    private AdminClient(Socket socket, string name)
    {
        _socket = socket;
        _name = name;
        _reader = new LineReader(socket, MaxReplyBytes);
    }

    // A stats reply of 64 queues is some 40 KiB.
    private const int MaxReplyBytes = 4 << 20;

    /// <summary>Connects to the daemon serving <paramref name="name"/>.</summary>
    public static AdminClient Connect(StateDirectory stateDir, string name, int timeoutMs = 30000)
    {
        ArgumentNullException.ThrowIfNull(stateDir);
        string path = stateDir.SocketPath(name);
        if (!File.Exists(path))
        {
            throw new VduseException(NoDevice(name, path));
        }

        StateDirectory.CheckSocketPathLength(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = timeoutMs,
            SendTimeout = timeoutMs,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VduseException(e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "no device " + name + ": nothing answers on " + path + " (a daemon that died left it; the next serve --name " + name + " removes it)",
                SocketError.AccessDenied => "no permission to connect to " + path + ": run as the user that runs vduse-blk serve (root)",
                _ => "cannot connect to " + path + ": " + e.Message,
            }, e);
        }

        return new AdminClient(socket, name);
    }

    /// <summary>The one-line error when no daemon serves <paramref name="name"/>.</summary>
    private static string NoDevice(string name, string socketPath) =>
        "no device " + name + ": " + socketPath + " does not exist (is vduse-blk serve running? --state-dir?)";

    /// <summary>Sends {"cmd":<paramref name="verb"/>, ...} and returns the reply; an error reply throws.</summary>
    public JsonDocument Request(AdminVerb verb, Action<Utf8JsonWriter>? arguments = null)
    {
        string command = AdminProtocol.WireName(verb);
        byte[] request = AdminProtocol.Request(verb, arguments);
        try
        {
            LineReader.Send(_socket, request);
            byte[]? line = _reader.ReadLine() ?? throw new VduseException(_name + ": the daemon closed the control socket without answering " + command);
            JsonDocument reply = JsonDocument.Parse(line);
            JsonElement root = reply.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(AdminProtocol.Ok, out JsonElement ok) && ok.ValueKind == JsonValueKind.True)
            {
                return reply;
            }

            string error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty(AdminProtocol.Error, out JsonElement e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : "unexpected reply " + Encoding.UTF8.GetString(line);
            reply.Dispose();
            throw new VduseException(_name + ": " + error);
        }
        catch (Exception e) when (e is SocketException or JsonException or InvalidDataException)
        {
            throw new VduseException(_name + ": control socket failed during " + command + ": " + e.Message, e);
        }
    }

    /// <summary>Waits until the daemon closes the connection (its teardown is over); false on timeout.</summary>
    public bool WaitClosed(int timeoutMs)
    {
        _socket.ReceiveTimeout = timeoutMs;
        byte[] chunk = new byte[256];
        try
        {
            while (_socket.Receive(chunk) > 0)
            {
            }

            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return false;
        }
        catch (SocketException)
        {
            return true; // reset: the daemon is gone
        }
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
