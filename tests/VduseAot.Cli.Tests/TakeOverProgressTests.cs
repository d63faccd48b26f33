using System;
using System.Threading;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>A takeover's "ready" runs once, on whichever thread comes last: the main thread's or the last queue's.</summary>
public sealed class TakeOverProgressTests
{
    [Fact]
    public void Queues_serving_before_the_main_thread_is_done_leave_the_announcement_to_it()
    {
        var progress = new TakeOverProgress("t");
        progress.AddQueue();
        progress.AddQueue();
        progress.AllStarted();
        progress.QueueRunning(10);
        progress.QueueRunning(30);
        Assert.True(progress.QueuesRunning.IsSet);
        Assert.Equal(30, progress.QueuesRunningAt);

        int announcedOn = 0;
        progress.WhenRunning(() => announcedOn = Environment.CurrentManagedThreadId, 1000);
        Assert.Equal(Environment.CurrentManagedThreadId, announcedOn);
        Assert.True(progress.Announced.IsSet);
    }

    [Fact]
    public void The_last_queue_to_serve_announces_on_its_own_thread_and_the_main_thread_returns_after_it()
    {
        var progress = new TakeOverProgress("t");
        progress.AddQueue();
        progress.AddQueue();
        progress.AllStarted();
        progress.QueueRunning(50);

        using var last = new ManualResetEventSlim();
        int lastThread = 0;
        var queue = new Thread(() =>
        {
            lastThread = Environment.CurrentManagedThreadId;
            last.Wait();
            progress.QueueRunning(20); // earlier than the first: the latest stays
        });
        queue.Start();

        int announcedOn = 0;
        using var returned = new ManualResetEventSlim();
        var main = new Thread(() =>
        {
            progress.WhenRunning(() => announcedOn = Environment.CurrentManagedThreadId, 10_000);
            returned.Set();
        });
        main.Start();
        Assert.False(returned.Wait(100), "announced before the last queue served");
        Assert.False(progress.QueuesRunning.IsSet);

        last.Set();
        Assert.True(returned.Wait(10_000));
        Assert.True(progress.Announced.IsSet);
        queue.Join();
        main.Join();
        Assert.Equal(lastThread, announcedOn);
        Assert.Equal(50, progress.QueuesRunningAt);
    }

    [Fact]
    public void Queues_that_give_up_or_never_start_still_end_the_takeover()
    {
        var progress = new TakeOverProgress("t");
        progress.AddQueue();
        progress.QueueRunning(0); // gave up: no time of its own
        progress.AddQueue();
        progress.QueueRunning(0); // its start failed
        Assert.False(progress.QueuesRunning.IsSet); // the starter still holds it
        progress.AllStarted();
        Assert.True(progress.QueuesRunning.IsSet);
        Assert.Equal(0, progress.QueuesRunningAt);
    }

    [Fact]
    public void Under_racing_queues_the_announcement_runs_exactly_once_after_all_of_them()
    {
        for (int round = 0; round < 200; round++)
        {
            var progress = new TakeOverProgress("t");
            const int queues = 4;
            for (int i = 0; i < queues; i++)
            {
                progress.AddQueue();
            }

            int served = 0;
            int announced = 0;
            int servedAtAnnouncement = -1;
            using var go = new ManualResetEventSlim();
            var threads = new Thread[queues];
            for (int i = 0; i < queues; i++)
            {
                long at = i + 1;
                threads[i] = new Thread(() =>
                {
                    go.Wait();
                    Interlocked.Increment(ref served);
                    progress.QueueRunning(at);
                });
                threads[i].Start();
            }

            go.Set();
            progress.AllStarted();
            progress.WhenRunning(() =>
            {
                servedAtAnnouncement = Volatile.Read(ref served);
                Interlocked.Increment(ref announced);
            }, 10_000);
            foreach (Thread t in threads)
            {
                t.Join();
            }

            Assert.Equal(1, announced);
            Assert.Equal(queues, servedAtAnnouncement);
            Assert.Equal(queues, progress.QueuesRunningAt);
        }
    }
}
