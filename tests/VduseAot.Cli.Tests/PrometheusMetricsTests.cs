using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using VduseAot.Block;
using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class PrometheusMetricsTests
{
    private static readonly string[] Les = [.. PrometheusMetrics.LatencyBounds.Select(b => b.Le), "+Inf"];

    [Fact]
    public void Counters_carry_device_and_queue_labels()
    {
        Dictionary<string, double> s = MetricsFixture.Samples(MetricsFixture.Text());
        Assert.Equal(390, s["vduse_blk_requests_total{device=\"disk0\",queue=\"0\",type=\"write\"}"]);
        Assert.Equal(600, s["vduse_blk_requests_total{device=\"disk0\",queue=\"0\",type=\"read\"}"]);
        Assert.Equal(2, s["vduse_blk_requests_total{device=\"disk0\",queue=\"1\",type=\"write\"}"]);
        Assert.Equal(1, s["vduse_blk_request_errors_total{device=\"disk0\",queue=\"1\",status=\"io_error\"}"]);
        Assert.Equal(1, s["vduse_blk_request_errors_total{device=\"disk0\",queue=\"0\",status=\"unsupported\"}"]);
        Assert.Equal(1, s["vduse_blk_malformed_requests_total{device=\"disk0\",queue=\"1\"}"]);
        Assert.Equal(390 * 65536, s["vduse_blk_written_bytes_total{device=\"disk0\",queue=\"0\"}"]);
        Assert.Equal(600 * 4096, s["vduse_blk_read_bytes_total{device=\"disk0\",queue=\"0\"}"]);
        Assert.Equal(1, s["vduse_blk_in_flight_requests{device=\"disk0\",queue=\"0\"}"]);
        Assert.Equal(1UL << 30, s["vduse_blk_capacity_bytes{device=\"disk0\"}"]);
        Assert.Equal(2, s["vduse_blk_queues{device=\"disk0\"}"]);
        Assert.Equal(3600.5, s["vduse_blk_uptime_seconds{device=\"disk0\"}"]);
        Assert.Equal(7, s["vduse_blk_process_gc_collections_total{device=\"disk0\",generation=\"0\"}"]);
        Assert.Equal(123_456_789, s["vduse_blk_process_allocated_bytes_total{device=\"disk0\"}"]);
        Assert.Equal(1.25, s["vduse_blk_process_cpu_seconds_total{device=\"disk0\"}"]);
        Assert.Equal(75 << 20, s["vduse_blk_process_rss_bytes{device=\"disk0\"}"]);
        Assert.Equal(9 << 20, s["vduse_blk_process_rss_anon_bytes{device=\"disk0\"}"]);
        Assert.Equal(2 << 20, s["vduse_blk_process_rss_file_bytes{device=\"disk0\"}"]);
        Assert.Equal(64 << 20, s["vduse_blk_process_rss_shmem_bytes{device=\"disk0\"}"]);
        Assert.All(s.Keys, k => Assert.Contains("{device=\"disk0\"", k));
    }

    [Fact]
    public void Families_have_help_and_type_once_before_all_their_samples()
    {
        string text = MetricsFixture.Text();
        var seen = new HashSet<string>();
        string? family = null;
        string[] lines = text.Split('\n');
        Assert.Equal("", lines[^1]); // ends with a line feed
        for (int i = 0; i < lines.Length - 1; i++)
        {
            string line = lines[i];
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                family = line.Split(' ')[2];
                Assert.True(seen.Add(family), family + " announced twice");
                Assert.Equal("# TYPE " + family + " ", lines[++i][..(8 + family.Length)]);
                Assert.Matches("^vduse_blk_[a-z_]+$", family);
                Assert.True(lines[i].EndsWith(" counter", StringComparison.Ordinal) == family.EndsWith("_total", StringComparison.Ordinal), lines[i]);
                continue;
            }

            Assert.NotNull(family);
            string sample = line[..line.IndexOfAny(['{', ' '])];
            Assert.True(sample == family || sample == family + "_bucket" || sample == family + "_sum" || sample == family + "_count", sample + " outside its family " + family);
        }
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_count_equals_the_inf_bucket_and_the_requests()
    {
        Dictionary<string, double> s = MetricsFixture.Samples(MetricsFixture.Text());
        BlkQueueStats[] queues = MetricsFixture.Queues();
        for (int q = 0; q < queues.Length; q++)
        {
            string labels = "device=\"disk0\",queue=\"" + q + "\"";
            double previous = 0;
            foreach (string le in Les)
            {
                double v = s["vduse_blk_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"}"];
                Assert.True(v >= previous, "le " + le + ": " + v + " < " + previous);
                previous = v;
            }

            Assert.Equal(queues[q].Requests, previous);
            Assert.Equal(previous, s["vduse_blk_request_duration_seconds_count{" + labels + "}"]);
            Assert.Equal(queues[q].Latency.Sum / (double)Stopwatch.Frequency, s["vduse_blk_request_duration_seconds_sum{" + labels + "}"], 12);
        }

        // Queue 1's three values: 40 us, 1 ms (in a bucket straddling le=0.001, so counted from 0.0025) and 3 s.
        string q1 = "vduse_blk_request_duration_seconds_bucket{device=\"disk0\",queue=\"1\",le=\"";
        Assert.Equal(0, s[q1 + "2.5e-05\"}"]);
        Assert.Equal(1, s[q1 + "5e-05\"}"]);
        Assert.Equal(1, s[q1 + "0.001\"}"]);
        Assert.Equal(2, s[q1 + "0.0025\"}"]);
        Assert.Equal(2, s[q1 + "2.5\"}"]);
        Assert.Equal(3, s[q1 + "5\"}"]);
        Assert.Equal(3.00104, s["vduse_blk_request_duration_seconds_sum{device=\"disk0\",queue=\"1\"}"], 9);
    }

    [Fact]
    public void A_bucket_counts_at_a_boundary_exactly_when_its_upper_edge_is_at_or_below_it()
    {
        long bound = MetricsFixture.Ticks(1_000_000); // le="0.001"
        int straddling = LatencyHistogram.IndexOf(bound);
        Assert.True(LatencyHistogram.HighestOf(straddling) > bound, "pick a bound that cuts a bucket");
        var q = new BlkQueueStats { Requests = 3 };
        q.Latency.Record(LatencyHistogram.HighestOf(straddling - 1)); // the last bucket wholly below: counts
        q.Latency.Record(LatencyHistogram.LowestOf(straddling)); // <= 1 ms but in the cut bucket: not yet
        q.Latency.Record(bound);
        Dictionary<string, double> s = MetricsFixture.Samples(PrometheusMetrics.Format(new MetricsSnapshot("d", 1, 512, [q], MetricsFixture.Process())));
        Assert.Equal(1, s["vduse_blk_request_duration_seconds_bucket{device=\"d\",queue=\"0\",le=\"0.001\"}"]);
        Assert.Equal(3, s["vduse_blk_request_duration_seconds_bucket{device=\"d\",queue=\"0\",le=\"0.0025\"}"]);
    }

    [Fact]
    public void Label_values_and_help_are_escaped()
    {
        Assert.Equal("device=\"a\\\"b\\\\c\\nd\"", PrometheusText.Label("device", "a\"b\\c\nd"));
        Assert.Equal("x\\\\y\\nz \"q\"", PrometheusText.EscapeHelp("x\\y\nz \"q\""));
        string text = MetricsFixture.Text("a\"b\\c\nd");
        Assert.Contains("vduse_blk_queues{device=\"a\\\"b\\\\c\\nd\"} 2\n", text);
        Assert.Equal(text.Split('\n').Length, MetricsFixture.Text().Split('\n').Length);
    }

    [Fact]
    public void Floats_are_written_as_prometheus_reads_them()
    {
        Assert.Equal("+Inf", PrometheusText.Number(double.PositiveInfinity));
        Assert.Equal("-Inf", PrometheusText.Number(double.NegativeInfinity));
        Assert.Equal("NaN", PrometheusText.Number(double.NaN));
        Assert.Equal("0.1", PrometheusText.Number(0.1));
        Assert.Equal(1.5e-7, double.Parse(PrometheusText.Number(1.5e-7), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_boundaries_ascend_and_their_labels_spell_their_values()
    {
        for (int i = 0; i < PrometheusMetrics.LatencyBounds.Length; i++)
        {
            (string le, long ns) = PrometheusMetrics.LatencyBounds[i];
            Assert.Equal(ns / 1e9, double.Parse(le, System.Globalization.CultureInfo.InvariantCulture), 15);
            Assert.True(i == 0 || ns > PrometheusMetrics.LatencyBounds[i - 1].Nanoseconds);
        }
    }
}
