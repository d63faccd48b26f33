using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>
/// The exposition read by a real parser: Debian's python3-prometheus-client run by /usr/bin/python3 (scripts/test.sh
/// installs it). A missing python3 or module fails the test; it is never skipped.
/// </summary>
public sealed class PrometheusParserTests
{
    // Prints every family as {"name","type","samples":[[name, labels, value], ...]}, one JSON document.
    private const string Script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = [{"name": f.name, "type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
               for f in text_string_to_metric_families(sys.stdin.read())]
        print(json.dumps(out))
        """;

    /// <summary>Runs the parser over <paramref name="text"/>; returns its families, failing with its stderr.</summary>
    public static JsonDocument Parse(string text)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process python = Process.Start(start)!;
        System.Threading.Tasks.Task<string> stdout = python.StandardOutput.ReadToEndAsync();
        System.Threading.Tasks.Task<string> stderr = python.StandardError.ReadToEndAsync();
        python.StandardInput.Write(text);
        python.StandardInput.Close();
        Assert.True(python.WaitForExit(60_000), "the parser did not finish");
        Assert.True(python.ExitCode == 0, "python3-prometheus-client parser failed (apt-get install python3-prometheus-client): " + stderr.Result);
        return JsonDocument.Parse(stdout.Result);
    }

    [Fact]
    public void The_parser_reads_every_family_with_its_type_and_values()
    {
        using JsonDocument doc = Parse(MetricsFixture.Text());
        Dictionary<string, JsonElement> families = doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);

        // The parser drops a counter's _total from the family name.
        Assert.Equal("counter", families["vduse_blk_requests"].GetProperty("type").GetString());
        Assert.Equal("histogram", families["vduse_blk_request_duration_seconds"].GetProperty("type").GetString());
        Assert.Equal("gauge", families["vduse_blk_process_rss_anon_bytes"].GetProperty("type").GetString());
        Assert.Equal(17, families.Count);

        JsonElement write = families["vduse_blk_requests"].GetProperty("samples").EnumerateArray()
            .Single(s => s[1].GetProperty("queue").GetString() == "0" && s[1].GetProperty("type").GetString() == "write");
        Assert.Equal("vduse_blk_requests_total", write[0].GetString());
        Assert.Equal("disk0", write[1].GetProperty("device").GetString());
        Assert.Equal(390, write[2].GetDouble());

        JsonElement[] histogram = [.. families["vduse_blk_request_duration_seconds"].GetProperty("samples").EnumerateArray()
            .Where(s => s[1].GetProperty("queue").GetString() == "1")];
        Assert.Equal(PrometheusMetrics.LatencyBounds.Length + 3, histogram.Length);
        Assert.Equal(3, histogram.Single(s => s[0].GetString() == "vduse_blk_request_duration_seconds_count")[2].GetDouble());
        Assert.Equal(3, histogram.Single(s => s[0].GetString() == "vduse_blk_request_duration_seconds_bucket" && s[1].GetProperty("le").GetString() == "+Inf")[2].GetDouble());
    }

    [Fact]
    public void Connection_families_parse_with_their_connection_and_peer_labels()
    {
        using JsonDocument doc = Parse(MetricsFixture.Text(connections: true));
        Dictionary<string, JsonElement> families = doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(21, families.Count);
        Assert.Equal("gauge", families["vduse_blk_connection_up"].GetProperty("type").GetString());
        Assert.Equal("counter", families["vduse_blk_connection_reconnects"].GetProperty("type").GetString());
        JsonElement[] up = [.. families["vduse_blk_connection_up"].GetProperty("samples").EnumerateArray()];
        Assert.Equal(["queue 0", "queue 1"], up.Select(s => s[1].GetProperty("connection").GetString()));
        Assert.Equal([1.0, 0.0], up.Select(s => s[2].GetDouble()));
        Assert.All(up, s => Assert.Equal("127.0.0.1:10809", s[1].GetProperty("peer").GetString()));
        JsonElement reconnects = families["vduse_blk_connection_reconnects"].GetProperty("samples")[1];
        Assert.Equal(3, reconnects[2].GetDouble());
        Assert.Equal(5, families["vduse_blk_connection_in_flight_requests"].GetProperty("samples")[1][2].GetDouble());
        Assert.Equal(2, families["vduse_blk_connection_server_errors"].GetProperty("samples")[1][2].GetDouble());
    }

    [Fact]
    public void An_escaped_device_name_parses_back_to_itself()
    {
        const string name = "a\"b\\c\nd";
        using JsonDocument doc = Parse(MetricsFixture.Text(name));
        foreach (JsonElement family in doc.RootElement.EnumerateArray())
        {
            foreach (JsonElement sample in family.GetProperty("samples").EnumerateArray())
            {
                Assert.Equal(name, sample[1].GetProperty("device").GetString());
            }
        }
    }
}
