using System;
using System.Threading;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>LastArrival runs its action once, on the thread of the last party, after every party's writes.</summary>
public sealed class LastArrivalTests
{
    [Fact]
    public void The_last_party_runs_the_action_on_its_thread_and_parties_added_meanwhile_count()
    {
        var arrival = new LastArrival(1);
        arrival.Add();
        int ranOn = 0;
        arrival.SetAction(() => ranOn = Environment.CurrentManagedThreadId);
        arrival.Arrive();
        Assert.False(arrival.Done.IsSet);

        int last = 0;
        var party = new Thread(() =>
        {
            last = Environment.CurrentManagedThreadId;
            arrival.Arrive();
        });
        party.Start();
        party.Join();
        Assert.True(arrival.Done.IsSet);
        Assert.Equal(last, ranOn);
    }

    [Fact]
    public void An_action_that_throws_still_marks_it_done()
    {
        var arrival = new LastArrival(1);
        arrival.SetAction(() => throw new InvalidOperationException("boom"));
        Assert.Throws<InvalidOperationException>(arrival.Arrive);
        Assert.True(arrival.Done.IsSet);
    }

    [Fact]
    public void Racing_parties_run_it_exactly_once_after_all_of_their_writes()
    {
        for (int round = 0; round < 200; round++)
        {
            const int parties = 6;
            var arrival = new LastArrival(parties);
            var wrote = new int[parties];
            int runs = 0;
            bool sawAll = false;
            arrival.SetAction(() =>
            {
                Interlocked.Increment(ref runs);
                sawAll = Array.TrueForAll(wrote, w => w == 1);
            });
            var threads = new Thread[parties];
            for (int i = 0; i < parties; i++)
            {
                int me = i;
                threads[i] = new Thread(() =>
                {
                    wrote[me] = 1;
                    arrival.Arrive();
                });
                threads[i].Start();
            }

            foreach (Thread t in threads)
            {
                t.Join();
            }

            Assert.Equal(1, runs);
            Assert.True(sawAll);
        }
    }
}
