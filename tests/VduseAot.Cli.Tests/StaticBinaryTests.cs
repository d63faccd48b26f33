using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>
/// Runs artifacts/vduse-blk inside a chroot that holds only the binary: no libc, no /dev, no /proc.
/// That is what a FROM scratch container gives it. Needs root (chroot) and scripts/build.sh first.
/// </summary>
public sealed class StaticBinaryTests : IDisposable
{
    private readonly string _root;

    public StaticBinaryTests()
    {
        string binary = FindBinary();
        _root = Path.Combine(Path.GetTempPath(), "vduse-empty-root-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        File.Copy(binary, Path.Combine(_root, "vduse-blk"));
        Assert.Single(Directory.GetFileSystemEntries(_root));
    }

    public void Dispose() => Directory.Delete(_root, true);

    private static string FindBinary()
    {
        string candidate = Path.Combine(RepoRoot.Path, "artifacts", "vduse-blk");
        Assert.True(File.Exists(candidate), "artifacts/vduse-blk is missing: run scripts/build.sh before the tests");
        return candidate;
    }

    private (int Code, string Out, string Err) RunInEmptyRoot(params string[] args)
    {
        var psi = new ProcessStartInfo("chroot") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(_root);
        psi.ArgumentList.Add("/vduse-blk");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30000), "vduse-blk did not exit");
        return (p.ExitCode, stdout, stderr);
    }

    [Fact]
    public void HelpWorksInAnEmptyRoot()
    {
        (int code, string stdout, string stderr) = RunInEmptyRoot("--help");
        Assert.True(code == 0, "exit " + code + ": " + stderr);
        Assert.Contains("vduse-blk serve --name NAME (--ram SIZE | --file PATH", stdout);
        Assert.Contains("ready NAME /dev/vdX", stdout);
    }

    [Fact]
    public void VersionWorksInAnEmptyRoot()
    {
        (int code, string stdout, _) = RunInEmptyRoot("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^vduse-blk \d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void UsageErrorExitsTwoWithOneLine()
    {
        (int code, string stdout, string stderr) = RunInEmptyRoot("serve", "--name", "d", "--ram", "lots");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("vduse-blk: --ram 'lots' is not a size (a number with an optional K, M, G or T suffix)", stderr.TrimEnd('\n'));
    }

    [Fact]
    public void MissingVduseModuleIsARuntimeErrorThatNamesTheModule()
    {
        // The empty root has no /dev at all, exactly like a host without the vduse module loaded.
        (int code, _, string stderr) = RunInEmptyRoot("serve", "--name", "d", "--ram", "1M");
        Assert.Equal(1, code);
        Assert.Contains("/dev/vduse/control does not exist: load the vduse kernel module (modprobe vduse)", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("no device d0: /run/vduse-blk/d0.sock does not exist (is vduse-blk serve running? --state-dir?)", "stats", "d0")]
    [InlineData("no device d0: /run/vduse-blk/d0.sock does not exist (is vduse-blk serve running? --state-dir?)", "stop", "d0")]
    [InlineData("no device d0: /run/vduse-blk/d0.sock does not exist (is vduse-blk serve running? --state-dir?)", "resize", "d0", "1G")]
    [InlineData("no device d0: /srv/state/d0.sock does not exist (is vduse-blk serve running? --state-dir?)", "stats", "d0", "--json", "--state-dir", "/srv/state")]
    [InlineData("no devices: no control sockets in /run/vduse-blk (is vduse-blk serve running? --state-dir?)", "list")]
    [InlineData("no devices: no control sockets in /run/vduse-blk (is vduse-blk serve running? --state-dir?)", "list", "--json")]
    public void ControlVerbsWithoutADaemonSayWhichSocketIsMissing(string expected, params string[] args)
    {
        (int code, string stdout, string stderr) = RunInEmptyRoot(args);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("vduse-blk: " + expected + "\n", stderr);
    }

    [Theory]
    [InlineData("stats takes NAME", "stats")]
    [InlineData("unknown option '--force' for stop", "stop", "d0", "--force")]
    [InlineData("--log-level 'loud' must be debug, info, warn or error", "serve", "--name", "d", "--ram", "1M", "--log-level", "loud")]
    [InlineData("stats takes --json or --prometheus, not both", "stats", "d0", "--prometheus", "--json")]
    [InlineData("--metrics-listen 'localhost:9100': 'localhost' is not an IPv4 address", "serve", "--name", "d", "--ram", "1M", "--metrics-listen", "localhost:9100")]
    public void ControlUsageErrorsExitTwo(string expected, params string[] args)
    {
        (int code, _, string stderr) = RunInEmptyRoot(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void AMetricsPortInUseExitsOneNamingTheAddressAndErrno()
    {
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        string endpoint = taken.LocalEndPoint!.ToString()!;

        // The port is taken before anything else: in the empty root, before the missing /dev/vduse/control.
        (int code, string stdout, string stderr) = RunInEmptyRoot("serve", "--name", "d", "--ram", "1M", "--metrics-listen", endpoint);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("vduse-blk: cannot listen for metrics on " + endpoint + ": Address already in use (errno 98): another process has that port; choose another --metrics-listen\n", stderr);
    }

    [Fact]
    public void TheBinaryIsStaticallyLinked()
    {
        var psi = new ProcessStartInfo("file", "-b " + Path.Combine(_root, "vduse-blk")) { RedirectStandardOutput = true };
        using Process p = Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Contains("statically linked", text);
        Assert.Contains("x86-64", text);
    }
}
