using System.Collections.Generic;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// Malformed rings on queue 0: descriptor loops, indexes past the table, heads past the table, an
/// avail index that jumps, indirect tables that nest or loop. Each returns the line of what the
/// daemon answered, or throws <see cref="CaseFailedException"/>.
/// </summary>
public static class RingCases
{
    private const ushort Next = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort Write = VirtioConstants.VRING_DESC_F_WRITE;
    private const ushort Indirect = VirtioConstants.VRING_DESC_F_INDIRECT;

    /// <summary>Slot 0: header, then a status descriptor whose next is itself; slot 1: a header that links to itself.</summary>
    public static string DescriptorLoop(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        DriverQueue q = s.Queue;
        s.Prepare(0, VirtioBlk.VIRTIO_BLK_T_IN, 0);
        q.SetDesc(0, s.HeaderIova(0), 16, Next, 1);
        q.SetDesc(1, s.StatusIova(0), 1, Write | Next, 1);
        s.Prepare(1, VirtioBlk.VIRTIO_BLK_T_IN, 0);
        q.SetDesc(3, s.HeaderIova(1), 16, Next, 3);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3);
        return Answers.IoErr(driver, 0, 0, used, 0, "writable loop")
            + "; " + Answers.NoStatus(driver, 0, 1, used, 3, "readable loop");
    }

    /// <summary>A next index past the table after the status (slot 0) and right after the header (slot 1).</summary>
    public static string DescriptorIndexOutOfRange(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        DriverQueue q = s.Queue;
        s.Prepare(0, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        q.SetDesc(0, s.HeaderIova(0), 16, Next, 1);
        q.SetDesc(1, s.StatusIova(0), 1, Write | Next, (ushort)(q.Size + 7));
        s.Prepare(1, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        q.SetDesc(3, s.HeaderIova(1), 16, Next, 0xFFFF);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3);
        return Answers.IoErr(driver, 0, 0, used, 0, "next " + (q.Size + 7) + " after the status")
            + "; " + Answers.NoStatus(driver, 0, 1, used, 3, "next 65535 after the header");
    }

    /// <summary>Two avail entries naming heads past the table, then a valid read: only the read may come back.</summary>
    public static string HeadOutOfRange(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        DriverQueue q = driver.Queues[0];
        ushort valid = driver.Slots[0].Build(0, VirtioBlk.VIRTIO_BLK_T_IN, 0, 512);
        q.Add((ushort)(q.Size + 3));
        q.Add(0xFFFF);
        driver.Submit(0, valid);
        Dictionary<uint, uint> used = driver.Expect(0, Answers.TimeoutMs, valid);
        if (driver.Slots[0].Status(0) != VirtioBlk.VIRTIO_BLK_S_OK || used[valid] != 513)
        {
            throw new CaseFailedException("the valid read after the bad heads answered status " + driver.Slots[0].Status(0) + " length " + used[valid]);
        }

        Answers.Silent(driver, 0, "after heads " + (q.Size + 3) + " and 65535");
        return "heads " + (q.Size + 3) + " and 65535 skipped with no used element; the valid read after them OK";
    }

    /// <summary>avail->idx moved queue size + 1 past the device's position: the queue must stop, also for a valid index after it.</summary>
    public static string AvailJump(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        DriverQueue q = driver.Queues[0];

        // Everything published so far has come back, so the device's avail position is the driver's.
        ushort at = q.AvailIndex;
        for (int slot = 0; slot < RequestSlots.Count; slot++)
        {
            // Every entry the device could look at names a valid request, so only the jump is wrong.
            q.Add(driver.Slots[0].Build(slot, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0));
        }

        q.PublishRaw((ushort)(at + q.Size + 1));
        q.Kick();
        Answers.Silent(driver, 0, "avail index " + (q.Size + 1) + " ahead");
        q.PublishRaw((ushort)(at + 1));
        q.Kick();
        Answers.Silent(driver, 0, "a valid avail index 1 ahead after the jump");
        return "avail index " + (q.Size + 1) + " ahead: queue 0 stopped (nothing returned in " + Answers.SilenceMs + " ms, nor for a valid index after it)";
    }

    /// <summary>
    /// Indirect tables: one whose last entry is an indirect descriptor pointing at the table itself
    /// (nested), one whose status entry links to itself, one longer than the queue allows.
    /// </summary>
    public static string IndirectTables(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        if ((driver.Negotiated & BlkDriver.Bit(VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC)) == 0)
        {
            throw new CaseFailedException("the device does not offer VIRTIO_RING_F_INDIRECT_DESC");
        }

        RequestSlots s = driver.Slots[0];
        DriverQueue q = s.Queue;
        s.Prepare(0, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        s.SetTableEntry(0, 0, s.HeaderIova(0), 16, Next, 1);
        s.SetTableEntry(0, 1, s.StatusIova(0), 1, Write | Next, 2);
        s.SetTableEntry(0, 2, s.TableIova(0), 48, Indirect);
        q.SetDesc(0, s.TableIova(0), 48, Indirect);
        s.Prepare(1, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        s.SetTableEntry(1, 0, s.HeaderIova(1), 16, Next, 1);
        s.SetTableEntry(1, 1, s.StatusIova(1), 1, Write | Next, 1);
        q.SetDesc(3, s.TableIova(1), 32, Indirect);
        s.Prepare(2, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        q.SetDesc(6, s.TableIova(2), (uint)(16 * (q.Size + 1)), Indirect);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3, 6);
        return Answers.IoErr(driver, 0, 0, used, 0, "self-nested table")
            + "; " + Answers.IoErr(driver, 0, 1, used, 3, "loop inside a table")
            + "; " + Answers.NoStatus(driver, 0, 2, used, 6, "table of queue size + 1 entries");
    }
}
