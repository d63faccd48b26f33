using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// The `--metrics-listen` endpoint: HTTP/1.x on a TCP socket, GET /metrics answered with the
/// Prometheus exposition, on its own thread (never a queue or kernel message thread). One connection at a
/// time and one request per connection: a scraper needs no more, and it bounds what a client can
/// make the daemon hold. Each connection gets <see cref="TimeoutMs"/> to deliver a request head of
/// at most <see cref="MaxHeadBytes"/> and as long again to take the reply, so a client that connects
/// and sends nothing delays the next scrape by that much and stalls nothing else.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    /// <summary>How long a connection may take to send its request, and again to take the reply.</summary>
    public const int TimeoutMs = 2000;

    /// <summary>A longer request head is answered 431.</summary>
    public const int MaxHeadBytes = 4096;

    // Replies go out in pieces so the deadline is checked between them: a client that reads one
    // byte at a time cannot keep the thread past it.
    private const int SendChunkBytes = 16 * 1024;

    private readonly Socket _listener;
    private readonly object _gate = new();
    private Thread? _thread;
    private Socket? _client;
    private volatile bool _stopping;

    private MetricsServer(Socket listener) => _listener = listener;

    /// <summary>Where it listens (the port the kernel chose for port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>
    /// Binds and listens on <paramref name="endpoint"/>, before the device exists, so a port in use
    /// fails `serve` without creating, or on a takeover destroying, anything. Throws <see cref="VduseException"/>.
    /// </summary>
    public static MetricsServer Bind(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted daemon must get its port back while the last one's connections sit in
            // TIME_WAIT: SO_REUSEADDR alone. (SocketOptionName.ReuseAddress also sets SO_REUSEPORT on
            // Linux, which would let a second daemon share the port instead of being refused.)
            listener.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_REUSEADDR, [1, 0, 0, 0]);
            listener.Bind(endpoint);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new VduseException("cannot listen for metrics on " + endpoint + ": " + e.Message + " (errno " + e.NativeErrorCode + ")" + Advice(e.SocketErrorCode), e);
        }

        return new MetricsServer(listener);
    }

    /// <summary>A live upgrade's successor: the listener it was handed, already bound and listening.</summary>
    public static MetricsServer Adopt(OwnedFd listenFd)
    {
        ArgumentNullException.ThrowIfNull(listenFd);
        return new MetricsServer(new Socket(new SafeSocketHandle((IntPtr)listenFd.Release(), ownsHandle: true)));
    }

    /// <summary>The listening descriptor, to pass to a successor.</summary>
    public int ListenFd => (int)_listener.Handle;

    /// <summary>
    /// The listener went to a successor: stop answering without shutting it down (that would stop
    /// the successor's too) and without waiting for the thread, which may sit in accept() until the
    /// process exits; a connection it takes meanwhile is closed unanswered, and the scraper retries.
    /// </summary>
    public void Abandon() => _stopping = true;

    private static string Advice(SocketError error) => error switch
    {
        SocketError.AddressAlreadyInUse => ": another process has that port; choose another --metrics-listen",
        SocketError.AddressNotAvailable => ": the address is not one of this host's; 127.0.0.1 is the usual choice",
        SocketError.AccessDenied => ": ports below 1024 need CAP_NET_BIND_SERVICE; use a port such as 9100",
        _ => "",
    };

    /// <summary>Starts answering with the text <paramref name="metrics"/> returns, logging for device <paramref name="name"/>.</summary>
    public void Start(string name, Func<string> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _thread = new Thread(() => Run(name, metrics)) { IsBackground = true, Name = "vduse-metrics" };
        _thread.Start();
        Log.Write(LogLevel.Info, name, "metrics on http://" + LocalEndPoint + MetricsRequest.Path);
    }

    private void Run(string name, Func<string> metrics)
    {
        while (!_stopping)
        {
            Socket? client = ServerSockets.Accept(_listener, () => _stopping, name, "metrics listener");
            if (client is null)
            {
                return;
            }

            lock (_gate)
            {
                _client = client;
            }

            try
            {
                if (!_stopping)
                {
                    Serve(client, metrics);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                Log.Write(LogLevel.Debug, name, "metrics connection ended: " + e.Message);
            }
            finally
            {
                lock (_gate)
                {
                    _client = null;
                    client.Dispose();
                }
            }
        }
    }

    private static void Serve(Socket client, Func<string> metrics)
    {
        long started = Stopwatch.GetTimestamp();
        byte[] head = new byte[MaxHeadBytes];
        int length = 0;
        while (!MetricsRequest.IsComplete(head.AsSpan(0, length)))
        {
            if (length == head.Length)
            {
                Send(client, MetricsRequest.Reply(431, MetricsRequest.ErrorBody(431), headOnly: false));
                return;
            }

            int left = Remaining(started);
            if (left <= 0)
            {
                return; // a silent or slow client: no reply is owed
            }

            client.ReceiveTimeout = left;
            int n = client.Receive(head.AsSpan(length));
            if (n == 0)
            {
                // The client closed its side: answer what it sent, if anything.
                if (length == 0)
                {
                    return;
                }

                break;
            }

            length += n;
        }

        int status = MetricsRequest.Route(head.AsSpan(0, length), out bool headOnly);
        string body = status == 200 ? Exposition(metrics, ref status) : MetricsRequest.ErrorBody(status);
        Send(client, MetricsRequest.Reply(status, body, headOnly));
    }

    private static string Exposition(Func<string> metrics, ref int status)
    {
        try
        {
            return metrics();
        }
        catch (Exception e) when (e is VduseException or InvalidOperationException)
        {
            // The device is being torn down under the scrape.
            status = 503;
            return MetricsRequest.ErrorBody(503);
        }
    }

    /// <summary>Sends <paramref name="reply"/> within <see cref="TimeoutMs"/>, then ends the connection.</summary>
    private static void Send(Socket client, byte[] reply)
    {
        long started = Stopwatch.GetTimestamp();
        for (int sent = 0; sent < reply.Length;)
        {
            int left = Remaining(started);
            if (left <= 0)
            {
                return;
            }

            client.SendTimeout = left;
            sent += client.Send(reply.AsSpan(sent, Math.Min(SendChunkBytes, reply.Length - sent)));
        }

        client.Shutdown(SocketShutdown.Send);
    }

    private static int Remaining(long started) => TimeoutMs - (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>Stops listening and cuts off the connection being served; returns once the thread is gone.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return; // stopped already, or abandoned to a successor
        }

        _stopping = true;

        // Closing the listener wakes the thread in accept(), shutting the client down wakes it in recv().
        ServerSockets.CloseListener(_listener);
        lock (_gate)
        {
            ServerSockets.Shutdown(_client);
        }

        _thread?.Join(TimeoutMs * 2);
    }
}
