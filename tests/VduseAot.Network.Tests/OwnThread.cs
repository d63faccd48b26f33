using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace VduseAot.Network.Tests;

/// <summary>
/// Runs a test body on a thread of its own, as a queue thread, with a time limit. A lost request leaves
/// the queue thread blocked in io_uring_enter for good, so the limit is what turns that hang into a
/// failure naming what the body was doing; the io_uring must be made on that thread (SINGLE_ISSUER).
/// </summary>
internal static class OwnThread
{
    /// <summary>Runs <paramref name="body"/>; rethrows what it threw, or throws <see cref="TimeoutException"/> with <paramref name="progress"/>'s words.</summary>
    public static void Run(TimeSpan limit, Action body, Func<string> progress)
    {
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "queue-under-test" };
        thread.Start();
        if (!thread.Join(limit))
        {
            // The thread is left blocked (background): its rig cannot be disposed under it.
            throw new TimeoutException("no progress after " + limit.TotalSeconds + " s: " + progress());
        }

        failure?.Throw();
    }
}
