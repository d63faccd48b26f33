using System.Collections.Generic;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>
/// The model both crash property tests (split and packed) check a ring against: what the journal
/// promises (the chains popped and not returned, in pop order), what must come back after a crash,
/// what the driver added and the device has not popped, and the counts the end of a run checks.
/// Each test keeps its own layout's traffic; the checks on pops, crashes and the end live here.
/// </summary>
internal sealed class CrashModel
{
    /// <summary>Popped and not returned: the journal's promise, in pop order.</summary>
    public List<ushort> Inflight { get; } = new();

    /// <summary>Still to come back after the last crash, in order.</summary>
    public Queue<ushort> Repop { get; private set; } = new();

    /// <summary>Added by the driver and not popped yet, in ring order.</summary>
    public LinkedList<ushort> Fresh { get; } = new();

    public long Added { get; set; }

    public long Delivered { get; set; }

    public long Crashes { get; private set; }

    public long Windows { get; set; }

    public long RestartsDone { get; set; }

    /// <summary>Checks a pop of <paramref name="id"/>: a chain to come back first, else the driver's next one.</summary>
    public void Popped(IDeviceQueue queue, ushort id)
    {
        if (Repop.Count > 0)
        {
            Assert.Equal(Repop.Dequeue(), id);
        }
        else
        {
            Assert.Equal(Fresh.First!.Value, id);
            Fresh.RemoveFirst();
            Inflight.Add(id);
        }

        Assert.Equal(Repop.Count, queue.RecoveredPending);
    }

    /// <summary>After a successor resumed: exactly the chains in flight are to come back.</summary>
    public void Resumed(IDeviceQueue queue)
    {
        Crashes++;
        Repop = new Queue<ushort>(Inflight);
        Assert.Equal(Inflight.Count, queue.RecoveredPending);
    }

    /// <summary>The end of a run: every request delivered once, enough traffic and crashes to mean something.</summary>
    public void CheckEnd(bool restarts)
    {
        Assert.Equal(Added, Delivered);
        Assert.True(Added > 200, "only " + Added + " requests"); // small rings hold two or three requests of up to 5 descriptors
        Assert.True(Crashes > 20 && Windows > 5, Crashes + " crashes, " + Windows + " windows");
        Assert.True(!restarts || RestartsDone > 0);
    }
}
