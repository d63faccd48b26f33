using System.Globalization;
using System.IO;
using System.Linq;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The start-up measures that keep the runtime's own work off a starting daemon's CPUs.</summary>
public class FinalizerThreadTests
{
    [Fact]
    public void The_finalizer_thread_is_found_and_made_SCHED_IDLE()
    {
        Assert.True(FinalizerThread.MakeIdle());

        // /proc/self/task/TID/stat: field 41 is the policy (counted after the ')' that ends comm).
        string? finalizer = Directory.GetDirectories("/proc/self/task")
            .FirstOrDefault(t => File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == ".NET Finalizer");
        Assert.NotNull(finalizer);
        string stat = File.ReadAllText(Path.Combine(finalizer, "stat"));
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(Sys.SCHED_IDLE, int.Parse(fields[41 - 3], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Wait_events_block_without_spinning_first()
    {
        using var e = WaitEvent.Create();
        Assert.Equal(0, e.SpinCount);
        Assert.False(e.IsSet);
        using var set = WaitEvent.Create(set: true);
        Assert.True(set.Wait(0));
    }
}
