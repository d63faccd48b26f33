using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The metrics listener on 127.0.0.1 with a port the kernel picks, fed by a delegate instead of a device.</summary>
public sealed class MetricsServerTests : IDisposable
{
    private readonly string _text = MetricsFixture.Text();
    private readonly MetricsServer _server;

    public MetricsServerTests()
    {
        _server = MetricsServer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server.Start("d", () => _text);
    }

    public void Dispose() => _server.Dispose();

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        s.Connect(_server.LocalEndPoint);
        return s;
    }

    /// <summary>Everything the server sends until it closes the connection.</summary>
    private static string ReadAll(Socket s)
    {
        var reply = new StringBuilder();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = s.Receive(buffer)) > 0)
        {
            reply.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return reply.ToString();
    }

    private string Request(string head)
    {
        using Socket s = Connect();
        s.Send(Encoding.ASCII.GetBytes(head));
        return ReadAll(s);
    }

    [Fact]
    public void Get_metrics_is_200_with_the_exposition()
    {
        string reply = Request("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " + Encoding.UTF8.GetByteCount(_text) + "\r\n", reply);
        Assert.EndsWith("\r\n\r\n" + _text, reply);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Request("GET /metrics?x=1 HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public void Other_paths_are_404_other_methods_405_and_garbage_400()
    {
        string notFound = Request("GET /foo HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", notFound);
        Assert.EndsWith("\r\n\r\nnot found: only /metrics is served\n", notFound);
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", Request("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", Request("hello\n\n"));
    }

    [Fact]
    public void An_oversized_request_head_is_refused_with_431()
    {
        string head = "GET /metrics HTTP/1.1\r\nX-Filler: " + new string('a', MetricsServer.MaxHeadBytes);
        using Socket s = Connect();
        s.Send(Encoding.ASCII.GetBytes(head));
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", ReadAll(s));
    }

    [Fact]
    public void A_silent_client_is_cut_off_and_delays_the_next_one_by_at_most_the_timeout()
    {
        using Socket silent = Connect();
        using Socket partial = Connect();
        partial.Send("GET /metr"u8);
        var clock = Stopwatch.StartNew();
        string reply = Request("GET /metrics HTTP/1.1\r\n\r\n");
        long served = clock.ElapsedMilliseconds;
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", reply);

        // Two connections ahead of it, each given the timeout; slack for a loaded machine.
        Assert.InRange(served, 0, (2 * MetricsServer.TimeoutMs) + 2000);

        // Both were closed without a reply once their time was up.
        Assert.Equal("", ReadAll(silent));
        Assert.Equal("", ReadAll(partial));
    }

    [Fact]
    public void A_failing_source_is_503_and_the_server_carries_on()
    {
        using MetricsServer failing = MetricsServer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        failing.Start("d", () => throw new InvalidOperationException("torn down"));
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        s.Connect(failing.LocalEndPoint);
        s.Send("GET /metrics HTTP/1.1\r\n\r\n"u8);
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", ReadAll(s));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Request("GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public void A_port_in_use_is_one_line_naming_the_address_and_errno()
    {
        VduseException e = Assert.Throws<VduseException>(() => MetricsServer.Bind(_server.LocalEndPoint));
        Assert.Equal("cannot listen for metrics on " + _server.LocalEndPoint + ": Address already in use (errno 98): another process has that port; choose another --metrics-listen", e.Message);
    }

    [Fact]
    public void Dispose_cuts_off_a_silent_client_and_frees_the_port_at_once()
    {
        MetricsServer server = MetricsServer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Start("d", () => _text);
        IPEndPoint endpoint = server.LocalEndPoint;
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        silent.Connect(endpoint);
        System.Threading.Thread.Sleep(200); // let the server take the connection
        var clock = Stopwatch.StartNew();
        server.Dispose();
        Assert.InRange(clock.ElapsedMilliseconds, 0, MetricsServer.TimeoutMs / 2);
        Assert.Equal("", ReadAll(silent));

        // The port can be bound again straight away (a successor daemon's takeover).
        MetricsServer.Bind(endpoint).Dispose();
    }
}
