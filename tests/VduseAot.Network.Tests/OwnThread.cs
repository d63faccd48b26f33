using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace VduseAot.Network.Tests;

/// <summary>
/// Runs test bodies each on a thread of its own, as queue threads, with a time limit. A lost request
/// leaves a queue thread blocked in io_uring_enter for good, so the limit is what turns that hang into
/// a failure naming what the bodies were doing; an io_uring must be made on the thread that drives it
/// (SINGLE_ISSUER), which is why a body makes its rig itself.
/// </summary>
internal static class OwnThread
{
    /// <summary>Runs <paramref name="body"/>; rethrows what it threw, or throws <see cref="TimeoutException"/> with <paramref name="progress"/>'s words.</summary>
    public static void Run(TimeSpan limit, Action body, Func<string> progress) => RunAll(limit, progress, body);

    /// <summary>Runs <paramref name="bodies"/> at once and waits for all; rethrows the first failure, or times out as <see cref="Run"/>.</summary>
    public static void RunAll(TimeSpan limit, Func<string> progress, params Action[] bodies)
    {
        var failures = new ExceptionDispatchInfo?[bodies.Length];
        Thread[] threads = bodies.Select((body, i) => new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failures[i] = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "queue-under-test-" + i }).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }

        var watch = Stopwatch.StartNew();
        foreach (Thread t in threads)
        {
            TimeSpan left = limit - watch.Elapsed;
            if (!t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                // The threads are left blocked (background): their rigs cannot be disposed under them.
                throw new TimeoutException("no end after " + limit.TotalSeconds + " s: " + progress());
            }
        }

        foreach (ExceptionDispatchInfo? f in failures)
        {
            f?.Throw();
        }
    }
}
