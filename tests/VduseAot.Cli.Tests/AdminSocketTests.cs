using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using VduseAot.Block;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class AdminSocketTests : IDisposable
{
    private readonly DirectoryInfo _parent = Directory.CreateTempSubdirectory("vduse-admin-");
    private readonly FakeAdminTarget _target = new();

    // A fresh, not yet existing state directory: the server must create it 0700.
    private string StateDir => Path.Combine(_parent.FullName, "state");

    public void Dispose()
    {
        _target.Dispose();
        _parent.Delete(recursive: true);
    }

    private AdminServer StartServer() => AdminServer.Start(new StateDirectory(StateDir), "d", new DaemonAdmin(_target));

    private int Cli(out string stdout, params string[] args)
    {
        var o = new StringWriter();
        string[] all = [.. args[1..], "--state-dir", StateDir];
        int rc = AdminCommands.Run(AdminOptions.Parse(args[0], all), o);
        stdout = o.ToString();
        return rc;
    }

    private static Socket ConnectRaw(AdminServer server)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(server.Path));
        return s;
    }

    /// <summary>Sends each request line and checks that its reply is an error containing the text given.</summary>
    private static void AssertErrorReplies(Socket s, LineReader reader, params (string Request, string Error)[] cases)
    {
        foreach ((string request, string error) in cases)
        {
            LineReader.Send(s, Encoding.UTF8.GetBytes(request));
            using JsonDocument reply = JsonDocument.Parse(reader.ReadLine()!);
            Assert.False(reply.RootElement.GetProperty("ok").GetBoolean());
            Assert.Contains(error, reply.RootElement.GetProperty("error").GetString());
        }
    }

    [Fact]
    public void A_client_that_connects_before_the_server_answers_waits_in_the_backlog_and_is_answered()
    {
        using AdminServer server = AdminServer.Listen(new StateDirectory(StateDir), "d", new DaemonAdmin(_target));
        using Socket s = ConnectRaw(server); // listening already: the connect succeeds
        LineReader.Send(s, Encoding.UTF8.GetBytes("{\"cmd\":\"info\"}"));
        server.BeginAnswering();
        server.BeginAnswering(); // once
        using JsonDocument reply = JsonDocument.Parse(new LineReader(s, 65536).ReadLine()!);
        Assert.True(reply.RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void A_server_that_never_answered_disposes_cleanly()
    {
        string path;
        using (AdminServer server = AdminServer.Listen(new StateDirectory(StateDir), "d", new DaemonAdmin(_target)))
        {
            path = server.Path;
            Assert.True(File.Exists(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Directory_is_owner_only_socket_is_owner_only_and_removed_at_dispose()
    {
        string path;
        using (AdminServer server = StartServer())
        {
            path = server.Path;
            Assert.Equal(Path.Combine(StateDir, "d.sock"), path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Stats_reply_has_queues_total_latency_and_process()
    {
        using AdminServer server = StartServer();
        Assert.Equal(0, Cli(out string json, "stats", "d", "--json"));
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement r = doc.RootElement;
        Assert.True(r.GetProperty("ok").GetBoolean());
        Assert.Equal(2, r.GetProperty("queues").GetArrayLength());
        JsonElement total = r.GetProperty("total");
        Assert.Equal(5UL, total.GetProperty("requests").GetUInt64());
        Assert.Equal(3UL, total.GetProperty("writes").GetUInt64());
        Assert.Equal(2UL, total.GetProperty("reads").GetUInt64());
        Assert.Equal(12288UL, total.GetProperty("bytes_written").GetUInt64());
        Assert.Equal(8192UL, total.GetProperty("bytes_read").GetUInt64());
        Assert.Equal(1UL, total.GetProperty("in_flight").GetUInt64());
        JsonElement latency = total.GetProperty("latency_us");
        Assert.Equal(3UL, latency.GetProperty("count").GetUInt64());
        Assert.InRange(latency.GetProperty("p50").GetDouble(), 20, 20 * 1.04);
        Assert.Equal(30, latency.GetProperty("max").GetDouble(), 3);
        Assert.InRange(latency.GetProperty("p99.9").GetDouble(), 29, 30);
        JsonElement process = r.GetProperty("process");
        Assert.Equal(3, process.GetProperty("gc_collections").GetArrayLength());
        long rss = process.GetProperty("rss_bytes").GetInt64();
        long anon = process.GetProperty("rss_anon_bytes").GetInt64();
        long file = process.GetProperty("rss_file_bytes").GetInt64();
        long shmem = process.GetProperty("rss_shmem_bytes").GetInt64();
        Assert.True(rss > 0);
        Assert.True(anon > 0 && file > 0 && shmem >= 0, "anon " + anon + ", file " + file + ", shmem " + shmem);

        // The kernel's VmRSS is the sum of the three; the total is read a moment apart, so allow drift.
        Assert.InRange(anon + file + shmem, rss * 3 / 4, rss * 5 / 4);
        Assert.True(process.GetProperty("allocated_bytes").GetInt64() > 0);
        Assert.True(process.GetProperty("cpu_us_per_request").GetDouble() > 0);

        Assert.Equal(0, Cli(out string text, "stats", "d"));
        Assert.Contains("total ", text);
        Assert.Contains("p99.9", text);
        Assert.Contains("process: GC collections", text);
        Assert.Matches(@"RSS [0-9.]+ [KMG]?i?B \(anon [0-9.]+ [KMG]?i?B, file [0-9.]+ [KMG]?i?B, shmem [0-9.]+ [KMG]?i?B\)", text);
    }

    [Fact]
    public void Stats_show_the_backends_connections_only_when_it_has_some()
    {
        using AdminServer server = StartServer();
        Assert.Equal(0, Cli(out string local, "stats", "d", "--json"));
        Assert.DoesNotContain("connections", local, StringComparison.Ordinal);
        Assert.Equal(0, Cli(out string localText, "stats", "d"));
        Assert.DoesNotContain("reconnects", localText, StringComparison.Ordinal);

        _target.Links = MetricsFixture.Connections();
        Assert.Equal(0, Cli(out string json, "stats", "d", "--json"));
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement[] c = [.. doc.RootElement.GetProperty("connections").EnumerateArray()];
        Assert.Equal(2, c.Length);
        Assert.Equal("queue 0", c[0].GetProperty("name").GetString());
        Assert.Equal("127.0.0.1:10809", c[0].GetProperty("peer").GetString());
        Assert.Equal("connected", c[0].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, c[0].GetProperty("last_error").ValueKind);
        Assert.Equal("reconnecting", c[1].GetProperty("state").GetString());
        Assert.Equal(3, c[1].GetProperty("reconnects").GetInt64());
        Assert.Equal(5, c[1].GetProperty("in_flight").GetInt32());
        Assert.Equal(2, c[1].GetProperty("server_errors").GetInt64());
        Assert.Equal("cannot connect to 127.0.0.1:10809: ECONNREFUSED (Connection refused)", c[1].GetProperty("last_error").GetString());

        Assert.Equal(0, Cli(out string text, "stats", "d"));
        string[] lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("connection ", StringComparison.Ordinal) && l.Contains("reconnects", StringComparison.Ordinal));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^queue 0 +127\.0\.0\.1:10809 +connected +0 +0 +0 +-$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^queue 1 +127\.0\.0\.1:10809 +reconnecting +3 +5 +2 +cannot connect to 127\.0\.0\.1:10809: ECONNREFUSED"));

        Assert.Equal(0, Cli(out string prometheus, "stats", "d", "--prometheus"));
        Assert.Contains("vduse_blk_connection_up{device=\"d\",connection=\"queue 1\",peer=\"127.0.0.1:10809\"} 0\n", prometheus, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_prometheus_prints_the_daemons_exposition()
    {
        using AdminServer server = StartServer();
        Assert.Equal(0, Cli(out string text, "stats", "d", "--prometheus"));
        Assert.StartsWith("# HELP vduse_blk_requests_total ", text);
        Assert.Contains("vduse_blk_requests_total{device=\"d\",queue=\"0\",type=\"write\"} 3\n", text);
        Assert.Contains("vduse_blk_request_duration_seconds_count{device=\"d\",queue=\"0\"} 3\n", text);
        Assert.Contains("vduse_blk_in_flight_requests{device=\"d\",queue=\"1\"} 1\n", text);
        Assert.EndsWith("\n", text);
    }

    [Fact]
    public void Resize_refuses_a_non_multiple_and_a_shrink_without_force()
    {
        using AdminServer server = StartServer();
        VduseException e = Assert.Throws<VduseException>(() => Cli(out _, "resize", "d", "1000"));
        Assert.Equal("d: size 1000 is not a positive multiple of the logical block size 512", e.Message);
        e = Assert.Throws<VduseException>(() => Cli(out _, "resize", "d", "32M"));
        Assert.StartsWith("d: shrinking from 64 MiB to 32 MiB", e.Message);
        Assert.Contains("--force", e.Message);
        Assert.Equal(64UL << 20, _target.CapacityBytes);

        Assert.Equal(0, Cli(out string grown, "resize", "d", "96M"));
        Assert.Equal("resized d: 64 MiB -> 96 MiB", grown.TrimEnd());
        Assert.Equal(0, Cli(out _, "resize", "d", "32M", "--force"));
        Assert.Equal(32UL << 20, _target.CapacityBytes);
    }

    [Fact]
    public void Stop_is_answered_then_held_open_until_the_server_is_done()
    {
        AdminServer server = StartServer();
        using AdminClient client = AdminClient.Connect(new StateDirectory(StateDir), "d");
        client.Request(AdminVerb.Stop).Dispose();
        Assert.Equal(1, _target.StopRequests);
        Assert.False(client.WaitClosed(300));

        // Once stopping, the daemon refuses everything but info.
        using (AdminClient other = AdminClient.Connect(new StateDirectory(StateDir), "d"))
        {
            VduseException e = Assert.Throws<VduseException>(() => other.Request(AdminVerb.Stats));
            Assert.Equal("d: d is stopping", e.Message);
            other.Request(AdminVerb.Info).Dispose();
        }

        server.Dispose();
        Assert.True(client.WaitClosed(5000));
    }

    [Fact]
    public void List_shows_name_device_uptime_and_backend()
    {
        using AdminServer server = StartServer();
        Assert.Equal(0, Cli(out string text, "list"));
        string[] lines = text.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^d +/dev/vdz +\d+s null 64 MiB$", lines[1]);
        Assert.Equal(0, Cli(out string json, "list", "--json"));
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal("d", doc.RootElement[0].GetProperty("name").GetString());
        Assert.Equal(67108864UL, doc.RootElement[0].GetProperty("capacity_bytes").GetUInt64());
    }

    [Fact]
    public void Bad_requests_get_an_error_reply_and_the_server_carries_on()
    {
        using AdminServer server = StartServer();
        using Socket s = ConnectRaw(server);
        var reader = new LineReader(s, 1 << 20);
        AssertErrorReplies(s, reader,
            ("not json", "request is not JSON"),
            ("[1,2]", "a request is a JSON object with a \"cmd\" string"),
            ("{\"cmd\":\"fly\"}", "unknown command 'fly' (known: info, stats, metrics, resize, stop, handover)"),
            ("{\"cmd\":\"resize\",\"size\":\"big\"}", "resize needs \"size\": a number of bytes"));

        // Two requests in one write are two replies, in order.
        LineReader.Send(s, "{\"cmd\":\"info\"}\n{\"cmd\":\"stats\"}"u8);
        using JsonDocument info = JsonDocument.Parse(reader.ReadLine()!);
        using JsonDocument stats = JsonDocument.Parse(reader.ReadLine()!);
        Assert.Equal("null 64 MiB", info.RootElement.GetProperty("backend").GetString());
        Assert.Equal("virtio-blk", info.RootElement.GetProperty("mode").GetString()); // the fake target is on /dev/vdz
        Assert.True(stats.RootElement.TryGetProperty("total", out _));
        Assert.Equal("virtio-blk", stats.RootElement.GetProperty("mode").GetString());
    }

    [Fact]
    public void Unknown_or_missing_verbs_are_error_replies_and_never_stop()
    {
        using AdminServer server = StartServer();
        using Socket s = ConnectRaw(server);
        AssertErrorReplies(s, new LineReader(s, 1 << 20),
            ("{\"cmd\":\"STOP\"}", "unknown command 'STOP' (known: info, stats, metrics, resize, stop, handover)"),
            ("{\"cmd\":\"\"}", "unknown command '' (known: info, stats, metrics, resize, stop, handover)"),
            ("{\"keep\":true}", "a request is a JSON object with a \"cmd\" string"),
            ("{\"cmd\":null}", "a request is a JSON object with a \"cmd\" string"));

        Assert.Equal(0, _target.StopRequests);
        Assert.Equal(0, Cli(out _, "stats", "d"));
    }

    [Fact]
    public void A_stale_socket_is_replaced_and_a_live_one_is_refused()
    {
        Directory.CreateDirectory(StateDir);
        string path = Path.Combine(StateDir, "d.sock");
        // Bound, never listening: to a client, what a dead daemon leaves. Disposed last, since .NET
        // unlinks the path of a socket it bound when disposing it.
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(path));

        VduseException refused = Assert.Throws<VduseException>(() => Cli(out _, "stats", "d"));
        Assert.StartsWith("no device d: nothing answers on " + path, refused.Message);
        using AdminServer server = StartServer();
        VduseException e = Assert.Throws<VduseException>(() => AdminServer.Start(new StateDirectory(StateDir), "d", new DaemonAdmin(_target)));
        Assert.StartsWith("another vduse-blk serves d", e.Message);
        Assert.Equal(0, Cli(out _, "stats", "d"));
    }

    [Fact]
    public void No_daemon_is_one_line_naming_the_socket()
    {
        foreach (string verb in new[] { "stats", "stop" })
        {
            VduseException e = Assert.Throws<VduseException>(() => Cli(out _, verb, "gone"));
            Assert.Equal("no device gone: " + Path.Combine(StateDir, "gone.sock") + " does not exist (is vduse-blk serve running? --state-dir?)", e.Message);
        }

        VduseException list = Assert.Throws<VduseException>(() => Cli(out _, "list"));
        Assert.Equal("no devices: no control sockets in " + StateDir + " (is vduse-blk serve running? --state-dir?)", list.Message);
    }
}
