using System;
using System.Diagnostics;
using System.Globalization;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Monotonic timestamps of the start-up steps (a takeover's above all: the guest's I/O waits for
/// them), as debug lines "startup +12.3 ms: STEP" counted from the process's start (its fork). Only the control
/// plane marks steps, once each per start; at info level a mark costs one comparison.
/// </summary>
public static class StartupClock
{
    // Stopwatch ticks (CLOCK_MONOTONIC) at Main, and how long the process ran before Main (the
    // runtime's own start-up), from taskstats or /proc/self/stat; 0 until MarkStart.
    private static long s_main = Stopwatch.GetTimestamp();
    private static double s_beforeMainMs;

    /// <summary>How long the process ran before <see cref="Begin"/> (start to Main), in ms; 0 until <see cref="MarkStart"/> asks the kernel (debug level only).</summary>
    public static double BeforeMainMs => s_beforeMainMs;

    /// <summary>Milliseconds since the process's start.</summary>
    public static double ElapsedMs => s_beforeMainMs + Stopwatch.GetElapsedTime(s_main).TotalMilliseconds;

    /// <summary>
    /// Called first in Main: takes the time there. The process's start is asked for only by
    /// <see cref="MarkStart"/>, at debug level, the one place it is printed.
    /// </summary>
    public static void Begin() => s_main = Stopwatch.GetTimestamp();

    /// <summary>
    /// The first lines of the timeline: the process's start, Main and now (the options parsed). The
    /// start comes from taskstats where the kernel answers (to the microsecond; the query, some
    /// syscalls, is paid only at debug level), else from /proc/self/stat (10 ms steps, rounded down,
    /// so the time before Main reads up to 10 ms long).
    /// </summary>
    public static void MarkStart(string device)
    {
        if (Log.Enabled(LogLevel.Debug))
        {
            string source;
            if (TaskStats.ElapsedUs(Environment.ProcessId, out long askedAt) is ulong us)
            {
                // The kernel counted after askedAt: this errs long by the query's send, never short.
                s_beforeMainMs = BeforeMainFromAge(us, Stopwatch.GetElapsedTime(s_main, askedAt).TotalMilliseconds);
                source = "taskstats";
            }
            else if (ReadAgeMs(out long readAt) is double ageMs)
            {
                s_beforeMainMs = Math.Max(0, ageMs - Stopwatch.GetElapsedTime(s_main, readAt).TotalMilliseconds);
                source = "/proc/self/stat, 10 ms steps";
            }
            else
            {
                source = "not known: counted from Main";
            }

            Log.Write(LogLevel.Debug, device, Line(0, "process start (fork; " + source + ")"));
            Log.Write(LogLevel.Debug, device, Line(s_beforeMainMs, "main"));
            Mark(device, "options parsed");
        }
    }

    /// <summary>Time before Main from a process age of <paramref name="elapsedUs"/> taken <paramref name="sinceMainMs"/> after Main; never negative.</summary>
    public static double BeforeMainFromAge(ulong elapsedUs, double sinceMainMs) => Math.Max(0, (elapsedUs / 1000.0) - sinceMainMs);

    /// <summary>Logs step <paramref name="step"/> of device <paramref name="device"/> at debug level, with the time since the start.</summary>
    public static void Mark(string device, string step)
    {
        if (Log.Enabled(LogLevel.Debug))
        {
            Log.Write(LogLevel.Debug, device, Line(ElapsedMs, step));
        }
    }

    /// <summary>The log text of a step at <paramref name="ms"/> since the start.</summary>
    public static string Line(double ms, string step) => "startup +" + ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms: " + step;

    /// <summary>
    /// Field 22 of a /proc/PID/stat line (starttime, in clock ticks since boot), or null when the line
    /// is malformed. The command name (field 2) may hold spaces and parentheses: fields are counted
    /// after its last ')'.
    /// </summary>
    public static ulong? StartTimeTicks(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ')' come fields 3 (state) onwards: starttime is the 20th of them.
        string[] fields = stat.Substring(close + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 20 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong ticks) ? ticks : null;
    }

    /// <summary>Milliseconds between a start at <paramref name="startTicks"/> (USER_HZ ticks since boot) and boot time <paramref name="nowBootMs"/>; never negative.</summary>
    public static double SinceStartMs(ulong startTicks, double nowBootMs, long ticksPerSecond) =>
        Math.Max(0, nowBootMs - (startTicks * 1000.0 / ticksPerSecond));

    // USER_HZ, the unit of starttime: the kernel's ABI fixes it at 100 on x86-64 (sysconf(_SC_CLK_TCK)).
    private const long UserHz = 100;

    // The process's age from /proc/self/stat at Stopwatch timestamp readAt; null without /proc.
    private static unsafe double? ReadAgeMs(out long readAt)
    {
        string? stat = Sys.ReadText("/proc/self/stat");
        ulong? ticks = stat is null ? null : StartTimeTicks(stat);
        timespec now;

        // Taken just before the boot clock: the age errs long by the gap, never short.
        readAt = Stopwatch.GetTimestamp();
        if (ticks is null || Sys.clock_gettime(Sys.CLOCK_BOOTTIME, &now) != 0)
        {
            return null;
        }

        return SinceStartMs(ticks.Value, (now.tv_sec * 1000.0) + (now.tv_nsec / 1e6), UserHz);
    }
}
