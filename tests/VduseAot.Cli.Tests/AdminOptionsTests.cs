using VduseAot;
using Xunit;

namespace VduseAot.Cli.Tests;

public class AdminOptionsTests
{
    [Fact]
    public void Parses_each_verb()
    {
        AdminOptions r = AdminOptions.Parse("resize", ["d0", "96M", "--force", "--state-dir", "/tmp/s", "--json"]);
        Assert.Equal((AdminCliVerb.Resize, "d0", 96UL << 20, true, "/tmp/s", true), (r.Verb, r.Name, r.Size, r.Force, r.StateDir, r.Json));
        AdminOptions l = AdminOptions.Parse("list", []);
        Assert.Equal("/run/vduse-blk", l.StateDir);
        Assert.False(l.Json);
        Assert.Equal("d", AdminOptions.Parse("stop", ["d"]).Name);
        Assert.True(AdminOptions.Parse("stats", ["d", "--json"]).Json);
        AdminOptions p = AdminOptions.Parse("stats", ["d", "--prometheus"]);
        Assert.True(p.Prometheus);
        Assert.False(p.Json);
        AdminOptions u = AdminOptions.Parse("upgrade", ["d", "--binary", "/usr/local/bin/vduse-blk.new"]);
        Assert.Equal((AdminCliVerb.Upgrade, "d", "/usr/local/bin/vduse-blk.new"), (u.Verb, u.Name, u.Binary));
        Assert.Null(AdminOptions.Parse("upgrade", ["d"]).Binary);
    }

    [Theory]
    [InlineData("unknown command 'fly' (try: vduse-blk --help)", "fly", "d")]
    [InlineData("unknown command '' (try: vduse-blk --help)", "", "d")]
    [InlineData("stats takes NAME", "stats")]
    [InlineData("stats takes NAME, not 'a b'", "stats", "a", "b")]
    [InlineData("list takes no arguments, not 'x'", "list", "x")]
    [InlineData("resize takes NAME SIZE", "resize", "d")]
    [InlineData("resize: '12Q' is not a size", "resize", "d", "12Q")]
    [InlineData("unknown option '--force' for stop", "stop", "d", "--force")]
    [InlineData("unknown option '--json' for stop", "stop", "d", "--json")]
    [InlineData("unknown option '--binary' for stop", "stop", "d", "--binary", "x")]
    [InlineData("--binary needs a value", "upgrade", "d", "--binary")]
    [InlineData("upgrade takes NAME", "upgrade")]
    [InlineData("stats takes --json or --prometheus, not both", "stats", "d", "--prometheus", "--json")]
    [InlineData("unknown option '--prometheus' for list", "list", "--prometheus")]
    [InlineData("--state-dir 'rel' must be an absolute path", "list", "--state-dir", "rel")]
    [InlineData("--state-dir needs a value", "list", "--state-dir")]
    [InlineData("'a/b' is not a device name", "stats", "a/b")]
    public void Rejects_bad_input_with_one_line(string expected, string verb, params string[] args)
    {
        UsageException e = Assert.Throws<UsageException>(() => AdminOptions.Parse(verb, args));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
