using System.Collections.Generic;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// The device's state changed under its I/O: the data region unmapped with writes in flight, a
/// reset with requests in flight on both queues, and features the device never offered.
/// </summary>
public static class LifecycleCases
{
    private const int InFlight = 48;

    /// <summary>
    /// Writes in flight on queue 0 when the data region leaves the IOTLB: each must come back, OK
    /// (done before the unmap, and then on the disk) or failed with nothing written; then the region
    /// is mapped again.
    /// </summary>
    public static string UnmapInFlight(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        var heads = new ushort[InFlight];
        for (int slot = 0; slot < InFlight; slot++)
        {
            heads[slot] = s.Build(slot, VirtioBlk.VIRTIO_BLK_T_OUT, ValidIo.Sector(0, slot), RequestSlots.DataBytes);
            ValidIo.Fill(s.Data(slot), 0x3C, ValidIo.Sector(0, slot));
        }

        driver.Submit(0, heads);
        Errno e = driver.Memory.Unmap(driver.Device, DriverMemory.Data);
        if (e != Errno.OK)
        {
            throw new CaseFailedException("IOTLB invalidate of the data region failed: " + e.Describe());
        }

        Dictionary<uint, uint> used = driver.Expect(0, Answers.TimeoutMs, heads);
        e = driver.Memory.Map(driver.Device, DriverMemory.Data);
        if (e != Errno.OK)
        {
            throw new CaseFailedException("IOTLB update of the data region again failed: " + e.Describe());
        }

        var done = new List<int>();
        int failed = 0;
        for (int slot = 0; slot < InFlight; slot++)
        {
            byte status = s.Status(slot);
            if (status == VirtioBlk.VIRTIO_BLK_S_OK && used[heads[slot]] == 1)
            {
                done.Add(slot);
            }
            else if (status == RequestSlots.Unanswered && used[heads[slot]] == 0)
            {
                failed++;
            }
            else
            {
                throw new CaseFailedException("write " + slot + " answered status " + status + " length " + used[heads[slot]]);
            }
        }

        ReadBack(driver, done);
        return InFlight + " writes in flight: " + done.Count + " OK before the unmap (read back intact), "
            + failed + " returned with length 0 and no status after it";
    }

    /// <summary>Writes in flight on both queues when the driver writes status 0.</summary>
    public static string ResetInFlight(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        int queues = driver.Queues.Length;
        for (int q = 0; q < queues; q++)
        {
            var heads = new ushort[InFlight];
            for (int slot = 0; slot < InFlight; slot++)
            {
                heads[slot] = driver.Slots[q].Build(slot, VirtioBlk.VIRTIO_BLK_T_OUT, ValidIo.Sector(q, slot), RequestSlots.DataBytes);
            }

            driver.Submit(q, heads);
        }

        int returned = 0;
        for (int q = 0; q < queues; q++)
        {
            returned += driver.Queues[q].Pending;
        }

        driver.Reset();
        driver.Start();
        ValidIo.RoundTrip(driver, 0, 4, 0x71);
        return "reset with " + (queues * InFlight) + " writes submitted (" + returned + " returned when it began): status 0 read back, set up again, I/O OK";
    }

    /// <summary>
    /// SET_FEATURES with what the driver wants plus bits the device did not offer
    /// (VIRTIO_F_RING_PACKED, VIRTIO_F_IN_ORDER = 35, bit 50): the kernel or the daemon must refuse
    /// them, or the device must serve as if they were not there.
    /// </summary>
    public static string UnofferedFeatures(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        ulong extra = (BlkDriver.Bit(VirtioConstants.VIRTIO_F_RING_PACKED) | BlkDriver.Bit(35) | BlkDriver.Bit(50)) & ~driver.Offered;
        if (extra == 0)
        {
            throw new CaseFailedException("the device offers every bit the case adds");
        }

        string? refused = driver.Negotiate(driver.Wanted | extra);
        if (refused != null)
        {
            // A refusal must leave a device a correct negotiation brings up as usual.
            driver.Start();
            ValidIo.RoundTrip(driver, 0, 4, 0x52);
            return "features " + BlkDriver.Hex(extra) + " not offered: " + refused + "; offered ones negotiated after it, I/O OK";
        }

        driver.Run();
        ValidIo.RoundTrip(driver, 0, 4, 0x52);
        return "features " + BlkDriver.Hex(extra) + " not offered: FEATURES_OK kept, the device ignored them (valid I/O OK)";
    }

    private static void ReadBack(BlkDriver driver, List<int> slots)
    {
        RequestSlots s = driver.Slots[0];
        var heads = new ushort[slots.Count];
        for (int i = 0; i < slots.Count; i++)
        {
            heads[i] = s.Build(slots[i], VirtioBlk.VIRTIO_BLK_T_IN, ValidIo.Sector(0, slots[i]), RequestSlots.DataBytes);
            s.Data(slots[i]).Clear();
        }

        if (heads.Length == 0)
        {
            return;
        }

        _ = Answers.Send(driver, 0, heads);
        foreach (int slot in slots)
        {
            if (s.Status(slot) != VirtioBlk.VIRTIO_BLK_S_OK || ValidIo.Mismatch(s.Data(slot), 0x3C, ValidIo.Sector(0, slot)) >= 0)
            {
                throw new CaseFailedException("write " + slot + " answered OK but does not read back (status " + s.Status(slot) + ")");
            }
        }
    }
}
