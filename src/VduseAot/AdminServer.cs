using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// The daemon's admin socket (the operator's "control socket", DIR/NAME.sock): a Unix stream socket
/// speaking <see cref="AdminProtocol"/>. Served by its own thread (vduse-admin), one connection at a
/// time (operators' commands are short; an idle client is cut off after <see cref="IdleTimeoutMs"/>),
/// so requests never run on a queue or kernel message thread.
/// </summary>
public sealed class AdminServer : IDisposable
{
    /// <summary>An idle connection is closed after this long.</summary>
    public const int IdleTimeoutMs = 5000;

    private const int MaxRequestBytes = 64 * 1024;

    // The listening socket: a raw descriptor from Start until the server's thread wraps it in a Socket.
    private readonly object _listenerGate = new();
    private OwnedFd? _listenFd;
    private Socket? _listener;
    private readonly IAdminHandler _handler;
    private readonly string _name;
    private readonly Thread _thread;
    private readonly List<Socket> _held = [];
    private volatile bool _stopping;

    private AdminServer(OwnedFd listenFd, string path, string name, IAdminHandler handler)
    {
        _listenFd = listenFd;
        Path = path;
        _name = name;
        _handler = handler;
        _thread = new Thread(Run) { IsBackground = true, Name = "vduse-admin" };
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>Binds DIR/NAME.sock (owner-only) and starts answering.</summary>
    public static AdminServer Start(StateDirectory stateDir, string name, IAdminHandler handler)
    {
        AdminServer server = Listen(stateDir, name, handler);
        server.BeginAnswering();
        return server;
    }

    /// <summary>
    /// Binds DIR/NAME.sock (owner-only) and listens, without answering yet: clients that connect
    /// wait in the backlog until <see cref="BeginAnswering"/>. `serve` answers once it said ready, so the
    /// server thread's set-up does not compete with a takeover's queues for the CPU.
    /// </summary>
    public static AdminServer Listen(StateDirectory stateDir, string name, IAdminHandler handler)
    {
        ArgumentNullException.ThrowIfNull(stateDir);
        string path = stateDir.SocketPath(name);
        StateDirectory.CheckSocketPathLength(path);
        stateDir.Create();
        RemoveStale(path, name);

        // Listening once this returns: a client that connects before the thread runs waits in the backlog.
        var server = new AdminServer(UnixListenSocket.Listen(path, 8), path, name, handler);
        return server;
    }

    /// <summary>
    /// A live upgrade's successor: the control socket it was handed (already bound and listening;
    /// clients waiting in its backlog are answered here), without the stale-socket check.
    /// </summary>
    public static AdminServer Adopt(OwnedFd listenFd, StateDirectory stateDir, string name, IAdminHandler handler)
    {
        ArgumentNullException.ThrowIfNull(stateDir);
        return new AdminServer(listenFd, stateDir.SocketPath(name), name, handler);
    }

    /// <summary>Answers "handover" requests (serve sets it; without it they are refused).</summary>
    public IHandoverSource? Handover { get; set; }

    // Set once the socket went to a successor: it is theirs now, not to be shut down or removed.
    private volatile bool _handedOver;

    /// <summary>Starts the thread that answers (once).</summary>
    public void BeginAnswering()
    {
        if (Interlocked.Exchange(ref _answering, 1) == 0)
        {
            _thread.Start();
        }
    }

    // 1 once the thread was started (ThreadState is a set of flags: Background | Unstarted before).
    private int _answering;

    /// <summary>
    /// A socket file left by a daemon that died is removed; one that still answers belongs to a live
    /// daemon serving the same name, which must not be cut off.
    /// </summary>
    private static void RemoveStale(string path, string name)
    {
        if (!File.Exists(path))
        {
            return;
        }

        if (UnixListenSocket.Answers(path))
        {
            throw new VduseException("another vduse-blk serves " + name + " (its control socket " + path + " answers): stop it first (vduse-blk stop " + name + ")");
        }

        File.Delete(path); // nobody listens: a leftover
    }

    /// <summary>The listener as a Socket, made on this thread (see <see cref="UnixListenSocket"/>); null once stopping.</summary>
    private Socket? WrapListener()
    {
        lock (_listenerGate)
        {
            if (_stopping || _listenFd is null)
            {
                return null;
            }

            _listener = new Socket(new SafeSocketHandle((IntPtr)_listenFd.Release(), ownsHandle: true));
            _listenFd = null;
            return _listener;
        }
    }

    private void Run()
    {
        Socket? listener = WrapListener();
        while (listener != null && !_stopping && !_handedOver)
        {
            Socket? client = ServerSockets.Accept(listener, () => _stopping, _name, "control socket");
            if (client is null)
            {
                return;
            }

            try
            {
                if (Serve(client))
                {
                    lock (_held)
                    {
                        _held.Add(client);
                    }

                    continue;
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                Log.Write(LogLevel.Debug, _name, "control connection ended: " + e.Message);
            }

            client.Dispose();
        }
    }

    /// <summary>Answers the connection's requests until it closes; true when it must be held open.</summary>
    private bool Serve(Socket client)
    {
        client.ReceiveTimeout = IdleTimeoutMs;
        client.SendTimeout = IdleTimeoutMs;
        var reader = new LineReader(client, MaxRequestBytes);
        while (true)
        {
            byte[]? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (InvalidDataException e)
            {
                LineReader.Send(client, AdminProtocol.ErrorReply("request " + e.Message));
                return false;
            }

            if (line == null)
            {
                return false;
            }

            if (Handover is { } source && IsHandover(line, out JsonDocument? request))
            {
                using (request)
                {
                    // Marked before the source completes: its Complete ends the process, whose Dispose
                    // must not shut the listener the successor now accepts on.
                    HandoverSender.Run(client, reader, request!.RootElement, source, (int)_listener!.Handle, _name, () => _handedOver = true);
                }

                return false; // after a handover this thread answers no one else: the successor's does
            }

            bool hold = Answer(line, out byte[] reply);
            LineReader.Send(client, reply);
            if (hold)
            {
                return true;
            }
        }
    }

    private bool Answer(byte[] line, out byte[] reply)
    {
        bool hold = false;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement request = doc.RootElement;
            AdminVerb verb = Verb(request);
            reply = AdminProtocol.Line(w =>
            {
                w.WriteBoolean(AdminProtocol.Ok, true);
                hold = _handler.Handle(verb, request, w);
            });
        }
        catch (JsonException e)
        {
            reply = AdminProtocol.ErrorReply("request is not JSON: " + e.Message);
        }
        catch (VduseException e)
        {
            reply = AdminProtocol.ErrorReply(e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            // A field of the wrong JSON type, for instance: the request is wrong, the daemon is fine.
            reply = AdminProtocol.ErrorReply("bad request: " + e.Message);
        }

        return hold;
    }

    /// <summary>A well-formed "handover" request (parsed into <paramref name="request"/>); anything else goes to <see cref="Answer"/>.</summary>
    private static bool IsHandover(byte[] line, out JsonDocument? request)
    {
        request = null;
        try
        {
            JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(AdminProtocol.Command, out JsonElement cmd) && cmd.ValueKind == JsonValueKind.String
                && AdminProtocol.TryParseVerb(cmd.GetString(), out AdminVerb verb) && verb == AdminVerb.Handover)
            {
                request = doc;
                return true;
            }

            doc.Dispose();
        }
        catch (JsonException)
        {
            // Answer replies to it
        }

        return false;
    }

    /// <summary>The request's verb; an error reply for a request without one or with one this daemon does not know.</summary>
    private static AdminVerb Verb(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty(AdminProtocol.Command, out JsonElement cmd) || cmd.ValueKind != JsonValueKind.String)
        {
            throw new VduseException("a request is a JSON object with a \"cmd\" string, like {\"cmd\":\"stats\"}");
        }

        string? wire = cmd.GetString();
        return AdminProtocol.TryParseVerb(wire, out AdminVerb verb) ? verb : throw new VduseException(AdminProtocol.UnknownCommand(wire));
    }

    /// <summary>Stops answering, closes every connection (held ones learn the daemon is done) and removes the socket file.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        lock (_listenerGate)
        {
            _stopping = true;
            if (_handedOver)
            {
                // Shutting a shared listener down would stop the successor's too: only our descriptor goes.
                _listener?.Dispose();
            }
            else if (_listener != null)
            {
                ServerSockets.CloseListener(_listener);
            }

            _listenFd?.Dispose();
        }

        if (Volatile.Read(ref _answering) != 0)
        {
            _thread.Join(IdleTimeoutMs * 2);
        }

        lock (_held)
        {
            foreach (Socket s in _held)
            {
                s.Dispose();
            }

            _held.Clear();
        }

        if (_handedOver)
        {
            return; // the path is the successor's socket now
        }

        try
        {
            File.Delete(Path);
        }
        catch (IOException e)
        {
            Log.Write(LogLevel.Warn, _name, "cannot remove " + Path + ": " + e.Message);
        }
    }
}
