using System;
using System.IO;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The start-up timeline: the start from taskstats or /proc/self/stat, the lines it logs.</summary>
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
    public void LinesSayMillisecondsSinceTheStartWithOneDecimal()
    {
        Assert.Equal("startup +12.3 ms: device opened", StartupClock.Line(12.34, "device opened"));
        Assert.Equal("startup +0.0 ms: process start (fork; taskstats)", StartupClock.Line(0, "process start (fork; taskstats)"));
    }
    [Fact]
    public void TheClockRunsForwardFromTheStart()
    {
        StartupClock.Begin();
        double first = StartupClock.ElapsedMs;
        Assert.True(StartupClock.BeforeMainMs >= 0);
        Assert.True(first >= StartupClock.BeforeMainMs);
        Assert.True(StartupClock.ElapsedMs >= first);
    }
    [Theory]
    [InlineData(50_000UL, 20.0, 30.0)]
    [InlineData(50_000UL, 60.0, 0.0)] // never negative
    public void BeforeMainIsTheProcessAgeLessTheTimeSinceMain(ulong elapsedUs, double sinceMainMs, double expected) =>
        Assert.Equal(expected, StartupClock.BeforeMainFromAge(elapsedUs, sinceMainMs), 6);
    [Fact]
    public void TaskstatsAgreesWithProcStatToItsTenMillisecondSteps()
    {
        // /proc/self/stat rounds the start down to 10 ms, so its age is at most 10 ms long.
        double statBefore = StatAgeMs();
        ulong? us = TaskStats.ElapsedUs(Environment.ProcessId, out long askedAt);
        double statAfter = StatAgeMs();
        Assert.NotNull(us); // this machine's kernel has taskstats (CONFIG_TASKSTATS)
        Assert.True(askedAt > 0);
        double ms = us.Value / 1000.0;
        Assert.InRange(ms, statBefore - 10.5, statAfter + 0.5);
    }
    [Fact]
    public void TheAgeIsReadFromTheStatsInsideThePerTaskNest()
    {
        byte[] reply = Reply(Netlink.TASKSTATS_AC_ETIME_OFFSET + 8, 123_456_789UL);
        Assert.Equal(123_456_789UL, TaskStats.ElapsedUs(reply));
    }
    [Fact]
    public void ShortOrMissingStatsGiveNoAge()
    {
        Assert.Null(TaskStats.ElapsedUs(Reply(Netlink.TASKSTATS_AC_ETIME_OFFSET + 4, 1)));
        Assert.Null(TaskStats.ElapsedUs(new byte[20]));
        byte[] noNest = Reply(Netlink.TASKSTATS_AC_ETIME_OFFSET + 8, 1);
        noNest[22] = 9; // the nest's type is no longer AGGR_PID
        Assert.Null(TaskStats.ElapsedUs(noNest));
    }

    // nlmsghdr + genlmsghdr (20 bytes), then AGGR_PID { PID u32, STATS of statsLength bytes with ac_etime }.
    private static byte[] Reply(int statsLength, ulong etime)
    {
        int stats = 4 + statsLength;
        int nest = 4 + 8 + stats;
        byte[] m = new byte[20 + nest];
        BitConverter.TryWriteBytes(m.AsSpan(0), (uint)m.Length);
        BitConverter.TryWriteBytes(m.AsSpan(20), (ushort)nest);
        BitConverter.TryWriteBytes(m.AsSpan(22), Netlink.TASKSTATS_TYPE_AGGR_PID);
        BitConverter.TryWriteBytes(m.AsSpan(24), (ushort)8);
        BitConverter.TryWriteBytes(m.AsSpan(26), (ushort)1);
        BitConverter.TryWriteBytes(m.AsSpan(28), 4242u);
        BitConverter.TryWriteBytes(m.AsSpan(32), (ushort)stats);
        BitConverter.TryWriteBytes(m.AsSpan(34), Netlink.TASKSTATS_TYPE_STATS);
        if (statsLength >= Netlink.TASKSTATS_AC_ETIME_OFFSET + 8)
        {
            BitConverter.TryWriteBytes(m.AsSpan(36 + Netlink.TASKSTATS_AC_ETIME_OFFSET), etime);
        }

        return m;
    }

    private static double StatAgeMs()
    {
        ulong ticks = StartupClock.StartTimeTicks(File.ReadAllText("/proc/self/stat"))!.Value;
        timespec now;
        Assert.Equal(0, Sys.clock_gettime(Sys.CLOCK_BOOTTIME, &now));
        return StartupClock.SinceStartMs(ticks, (now.tv_sec * 1000.0) + (now.tv_nsec / 1e6), 100);
    }
}
