using VduseAot;
using Xunit;

namespace VduseAot.Cli.Tests;

public class ServeOptionsTests
{
    private static ServeOptions Parse(params string[] args) => ServeOptions.Parse(args);

    [Fact]
    public void ParsesEveryOption()
    {
        string[] ram = ["--name", "disk0", "--ram", "64M", "--queues", "4", "--queue-size", "512",
            "--read-only", "--logical-block-size", "4096", "--serial", "SER-1", "--no-attach",
            "--packed", "--state-dir", "/srv/state", "--force", "--metrics-listen", "127.0.0.1:9100",
            "--cpus", "0", "--poll-us", "50", "--bounce-size", "256M", "--sqpoll", "--log-level", "debug"];
        ServeOptions o = Parse(ram);
        Assert.Equal("disk0", o.Name);
        Assert.Equal(64UL << 20, o.Device.CapacityBytes);
        Assert.Equal(4, o.Device.Queues);
        Assert.Equal(512, o.Device.QueueSize);
        Assert.True(o.Device.ReadOnly);
        Assert.Equal(4096u, o.Device.LogicalBlockSize);
        Assert.Equal("SER-1", o.Device.Serial);
        Assert.False(o.Attach);
        Assert.True(o.Device.Packed);
        Assert.Equal("/srv/state", o.StateDir);
        Assert.True(o.Force);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9100), o.MetricsListen);
        Assert.Equal([0], o.Cpus!);
        Assert.Equal(50, o.PollMicroseconds);
        Assert.Equal(256UL << 20, o.BounceSize);
        Assert.True(o.SqPoll);
        Assert.Equal(Vduse.LogLevel.Debug, o.LogLevel);

        string[] file = ["--name", "d", "--file", "/srv/disk.img", "--size", "2G", "--direct", "--vhost", "--handover"];
        ServeOptions f = Parse(file);
        Assert.Equal(("/srv/disk.img", 2UL << 30, true, true), (f.FilePath, f.FileSize, f.Direct, f.Vhost));
        Assert.True(f.Handover);
        Assert.False(o.Vhost);
        Assert.False(o.Handover);
        Assert.Contains("cannot go with --no-attach", Assert.Throws<UsageException>(() => Parse("--name", "d", "--ram", "1M", "--vhost", "--no-attach")).Message,
            System.StringComparison.Ordinal);
        string[] none = ["--name", "d", "--null", "1T"];
        Assert.Equal(1UL << 40, Parse(none).Device.CapacityBytes);
        string[] nbd = ["--name", "d", "--nbd", "nbd://127.0.0.1:10810/disk", "--reconnect-timeout", "5"];
        ServeOptions n = Parse(nbd);
        Assert.Equal((BackendKind.Nbd, "127.0.0.1", 10810, "disk", 5), (n.Backend, n.NbdUri!.Endpoint.Host, n.NbdUri.Endpoint.Port, n.NbdUri.Export, n.ReconnectTimeoutSeconds));

        string[] nvme = ["--name", "d", "--nvme-tcp", "[::1]:4421", "--nqn", "nqn.2026-12.test:disk", "--nsid", "3",
            "--hostnqn", "nqn.2026-12.test:host", "--nvme-digest", "header,data"];
        ServeOptions v = Parse(nvme);
        Assert.Equal((BackendKind.NvmeTcp, "::1", 4421, "nqn.2026-12.test:disk", 3u, "nqn.2026-12.test:host", true, true),
            (v.Backend, v.NvmeTcpEndpoint!.Host, v.NvmeTcpEndpoint.Port, v.Nqn, v.Nsid, v.HostNqn, v.HeaderDigest, v.DataDigest));

        // A new option fails this until the command lines above give it.
        string[] all = [.. ram, .. file, .. none, .. nbd, .. nvme];
        var given = new System.Collections.Generic.SortedSet<string>(System.StringComparer.Ordinal);
        foreach (string a in all)
        {
            if (a.StartsWith("--", System.StringComparison.Ordinal))
            {
                given.Add(a);
            }
        }

        var options = new System.Collections.Generic.SortedSet<string>(ServeOptions.OptionNames, System.StringComparer.Ordinal);
        Assert.Equal(options, given);
    }

    [Fact]
    public void NvmeTcpTakesItsDefaultsAndRefusesWhatDoesNotFit()
    {
        ServeOptions v = Parse("--name", "d", "--nvme-tcp", "127.0.0.1", "--nqn", "nqn.2026-12.test:disk");
        Assert.Equal((4420, 1u, false, false), (v.NvmeTcpEndpoint!.Port, v.Nsid, v.HeaderDigest, v.DataDigest));
        Assert.Null(v.HostNqn); // made for a new device, or taken from the running one's state
        Assert.Contains("needs --nqn", Assert.Throws<UsageException>(() => Parse("--name", "d", "--nvme-tcp", "127.0.0.1")).Message, System.StringComparison.Ordinal);
        Assert.Contains("apply to --nvme-tcp only", Assert.Throws<UsageException>(() => Parse("--name", "d", "--ram", "1M", "--nsid", "2")).Message, System.StringComparison.Ordinal);
        Assert.Contains("not an NVMe qualified name", Assert.Throws<UsageException>(() =>
            Parse("--name", "d", "--nvme-tcp", "127.0.0.1", "--nqn", "disk")).Message, System.StringComparison.Ordinal);
        Assert.Contains("header, data, header,data or none", Assert.Throws<UsageException>(() =>
            Parse("--name", "d", "--nvme-tcp", "127.0.0.1", "--nqn", "nqn.2026-12.a:b", "--nvme-digest", "crc")).Message, System.StringComparison.Ordinal);
        Assert.Contains("--nsid", Assert.Throws<UsageException>(() =>
            Parse("--name", "d", "--nvme-tcp", "127.0.0.1", "--nqn", "nqn.2026-12.a:b", "--nsid", "0")).Message, System.StringComparison.Ordinal);
        Assert.Contains("IPv6", Assert.Throws<UsageException>(() => Parse("--name", "d", "--nvme-tcp", "[::1", "--nqn", "nqn.2026-12.a:b")).Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void ParsesFileAndNullBackends()
    {
        ServeOptions f = Parse("--name", "d", "--file", "/srv/disk.img", "--size", "2G", "--direct", "--sqpoll");
        Assert.Equal(BackendKind.File, f.Backend);
        Assert.Equal("/srv/disk.img", f.FilePath);
        Assert.Equal(2UL << 30, f.FileSize);
        Assert.True(f.Direct);
        Assert.True(f.SqPoll);
        Assert.Null(f.BounceSize);
        ServeOptions p = Parse("--name", "d", "--ram", "1M", "--cpus", "0", "--poll-us", "50");
        Assert.Equal([0], p.Cpus!);
        Assert.Equal(50, p.PollMicroseconds);
        Assert.Equal(256UL << 20, Parse("--name", "d", "--ram", "1M", "--bounce-size", "256M").BounceSize);
        ServeOptions n = Parse("--name", "d", "--null", "1T");
        Assert.Equal(BackendKind.Null, n.Backend);
        Assert.Equal(1UL << 40, n.Device.CapacityBytes);
    }

    [Fact]
    public void DefaultsMatchTheContract()
    {
        ServeOptions o = Parse("--name", "d", "--ram", "1G");
        Assert.Equal(1, o.Device.Queues);
        Assert.Equal(256, o.Device.QueueSize);
        Assert.Equal(512u, o.Device.LogicalBlockSize);
        Assert.False(o.Device.ReadOnly);
        Assert.True(o.Attach);
        Assert.Equal(Vduse.LogLevel.Info, o.LogLevel);
        Assert.Equal("/run/vduse-blk", o.StateDir);
    }

    [Theory]
    [InlineData("debug", Vduse.LogLevel.Debug)]
    [InlineData("info", Vduse.LogLevel.Info)]
    [InlineData("warn", Vduse.LogLevel.Warn)]
    [InlineData("error", Vduse.LogLevel.Error)]
    public void Parses_log_levels(string text, Vduse.LogLevel level) =>
        Assert.Equal(level, Parse("--name", "d", "--ram", "1M", "--log-level", text).LogLevel);

    [Theory]
    [InlineData("needs --name", "--ram", "1M")]
    [InlineData("needs a backend", "--name", "d")]
    [InlineData("is not a CPU list", "--name", "d", "--ram", "1M", "--cpus", "3-1")]
    [InlineData("is not available to this process", "--name", "d", "--ram", "1M", "--cpus", "1000")]
    [InlineData("must be a number from 0 to 1000000", "--name", "d", "--ram", "1M", "--poll-us", "-5")]
    [InlineData("--bounce-size must be from 1M to 1G", "--name", "d", "--ram", "1M", "--bounce-size", "2G")]
    [InlineData("choose one of --ram, --file, --null", "--name", "d", "--ram", "1M", "--null", "1M")]
    [InlineData("--direct applies to --file only", "--name", "d", "--ram", "1M", "--direct")]
    [InlineData("--size applies to --file only", "--name", "d", "--null", "1M", "--size", "1M")]
    [InlineData("not a positive multiple", "--name", "d", "--file", "/x", "--size", "1000")]
    [InlineData("is not a size", "--name", "d", "--ram", "12Q")]
    [InlineData("not a power of two", "--name", "d", "--ram", "1M", "--queue-size", "100")]
    [InlineData("must be a number from 1 to 64", "--name", "d", "--ram", "1M", "--queues", "0")]
    [InlineData("--queues 65 is more than 64: one thread serves each queue", "--name", "d", "--ram", "1M", "--queues", "65")]
    [InlineData("--log-level 'loud' must be debug, info, warn or error", "--name", "d", "--ram", "1M", "--log-level", "loud")]
    [InlineData("--log-level needs a value", "--name", "d", "--ram", "1M", "--log-level")]
    [InlineData("not a power of two", "--name", "d", "--null", "1M", "--queue-size", "3")]
    [InlineData("must be 512 or 4096", "--name", "d", "--ram", "1M", "--logical-block-size", "1024")]
    [InlineData("longer than 20 bytes", "--name", "d", "--ram", "1M", "--serial", "123456789012345678901")]
    [InlineData("unknown option '--bogus'", "--name", "d", "--ram", "1M", "--bogus")]
    [InlineData("--name needs a value", "--ram", "1M", "--name")]
    [InlineData("clashes with the kernel's per-queue", "--name", "vq3", "--ram", "1M")]
    [InlineData("must be 1-255 characters", "--name", "a/b", "--ram", "1M")]
    [InlineData("--nbd: 'disk.img' is not an NBD URI", "--name", "d", "--nbd", "disk.img")]
    [InlineData("--nbd: nbd+unix:///x: nbd+unix:// needs ?socket=PATH", "--name", "d", "--nbd", "nbd+unix:///x")]
    [InlineData("choose one of --ram, --file, --null, --nbd", "--name", "d", "--nbd", "nbd://h/x", "--ram", "1M")]
    [InlineData("--reconnect-timeout '-1' must be a number from 0 to 86400", "--name", "d", "--nbd", "nbd://h/x", "--reconnect-timeout", "-1")]
    [InlineData("not a positive multiple of the logical block size", "--name", "d", "--ram", "1000")]
    [InlineData("not a positive multiple of the logical block size", "--name", "d", "--ram", "6K", "--logical-block-size", "4096")]
    public void RejectsBadInputWithOneLine(string expected, params string[] args)
    {
        UsageException e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
