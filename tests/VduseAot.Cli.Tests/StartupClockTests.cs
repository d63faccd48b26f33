using System;
using System.IO;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The start-up timeline: exec time from /proc/self/stat, the lines it logs.</summary>
public unsafe class StartupClockTests
{
    [Fact]
    public void StartTimeIsField22CountedAfterTheLastParenthesisOfTheCommand()
    {
        // comm "(a b) c" holds a space and a ')': fields are counted after the last ')'.
        string stat = "4242 ((a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615";
        Assert.Equal(987654UL, StartupClock.StartTimeTicks(stat));
    }
    [Theory]
    [InlineData("")]
    [InlineData("4242 no parenthesis S 1")]
    [InlineData("4242 (vduse-blk) S 1 2 3")]
    [InlineData("4242 (vduse-blk) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 -5 1000")]
    public void MalformedStatLinesGiveNoStartTime(string stat) => Assert.Null(StartupClock.StartTimeTicks(stat));
    [Fact]
    public void ThisProcessHasAStartTime() => Assert.NotNull(StartupClock.StartTimeTicks(File.ReadAllText("/proc/self/stat")));
    [Theory]
    [InlineData(250UL, 2600.0, 100L, 100.0)]
    [InlineData(250UL, 2500.0, 100L, 0.0)]
    [InlineData(250UL, 2400.0, 100L, 0.0)] // a boot clock read in the same tick: never negative
    [InlineData(1000UL, 1500.0, 1000L, 500.0)]
    public void SinceStartIsBootTimeMinusTheStartTicks(ulong ticks, double nowBootMs, long hz, double expected) =>
        Assert.Equal(expected, StartupClock.SinceStartMs(ticks, nowBootMs, hz), 6);
    [Fact]
    public void LinesSayMillisecondsSinceExecWithOneDecimal()
    {
        Assert.Equal("startup +12.3 ms: device opened", StartupClock.Line(12.34, "device opened"));
        Assert.Equal("startup +0.0 ms: process start (exec)", StartupClock.Line(0, "process start (exec)"));
    }
    [Fact]
    public void TheClockRunsForwardFromExec()
    {
        StartupClock.Begin();
        double first = StartupClock.ElapsedMs;
        Assert.True(StartupClock.BeforeMainMs >= 0);
        Assert.True(first >= StartupClock.BeforeMainMs);
        Assert.True(StartupClock.ElapsedMs >= first);
    }
}
