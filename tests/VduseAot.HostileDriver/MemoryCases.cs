using System;
using System.Collections.Generic;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// Bad buffer addresses on queue 0: lengths that wrap the address space, IOVAs no IOTLB entry maps,
/// a status byte the device may only read (by descriptor flags or by IOTLB permission), and the data
/// region unmapped while requests on it are in flight.
/// </summary>
public static unsafe class MemoryCases
{
    private const ushort Next = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort Write = VirtioConstants.VRING_DESC_F_WRITE;
    private const uint In = VirtioBlk.VIRTIO_BLK_T_IN;

    /// <summary>Data at 2^64 - 4 KiB for 8 KiB; data from slot 1 for 4 GiB - 4 KiB (past the region's end); a status at 2^64 - 1 for 2 bytes.</summary>
    public static string LengthWraps(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        FillData(s, 3, 0x5A);
        Chain(s, 0, 0xFFFF_FFFF_FFFF_F000, 0x2000, s.StatusIova(0));
        Chain(s, 1, s.DataIova(1), 0xFFFF_F000, s.StatusIova(1));
        Chain(s, 2, s.DataIova(2), 512, 0xFFFF_FFFF_FFFF_FFFF, statusLength: 2);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3, 6);
        string line = Answers.NoStatus(driver, 0, 0, used, 0, "data wrapping past 2^64")
            + "; " + Answers.NoStatus(driver, 0, 1, used, 3, "data running 4 GiB past its region")
            + "; " + LastWritable(s, 2, used, 6, "status wrapping past 2^64");
        ExpectData(s, 1, 0x5A, "the 4 GiB read's buffer");
        return line;
    }

    /// <summary>A header, a data buffer and a status byte at IOVAs between the mapped regions.</summary>
    public static string UnmappedIova(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        ulong hole = DriverMemory.Rings.At(DriverMemory.Rings.Size + 0x1000);
        s.Prepare(0, In, 0);
        s.Queue.SetDesc(0, 0x7000_0000_0000, 16, Next, 1);
        s.Queue.SetDesc(1, s.StatusIova(0), 1, Write);
        Chain(s, 1, DriverMemory.Data.At(DriverMemory.Data.Size + 0x1000), 512, s.StatusIova(1));
        FillData(s, 3, 0x5A);
        Chain(s, 2, s.DataIova(2), 512, hole);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3, 6);
        return Answers.NoStatus(driver, 0, 0, used, 0, "header unmapped")
            + "; " + Answers.NoStatus(driver, 0, 1, used, 3, "data unmapped")
            + "; " + LastWritable(s, 2, used, 6, "status unmapped");
    }

    /// <summary>A status descriptor without VRING_DESC_F_WRITE, after a writable data buffer (slot 0) and alone (slot 1).</summary>
    public static string StatusReadOnlyDescriptor(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        FillData(s, 1, 0x5A);
        Chain(s, 0, s.DataIova(0), 512, s.StatusIova(0), statusFlags: 0);
        s.Prepare(1, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        s.Queue.SetDesc(3, s.HeaderIova(1), 16, Next, 4);
        s.Queue.SetDesc(4, s.StatusIova(1), 1, 0);
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3);
        if (s.Status(0) != RequestSlots.Unanswered)
        {
            throw new CaseFailedException("the device wrote " + s.Status(0) + " into a device-readable status buffer");
        }

        return LastWritable(s, 0, used, 0, "read with a readable status")
            + "; " + Answers.NoStatus(driver, 0, 1, used, 3, "flush with only readable buffers");
    }

    /// <summary>A status byte, then a read's data buffer, in the page the IOTLB maps read-only.</summary>
    public static string StatusIotlbReadOnly(BlkDriver driver)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        RequestSlots s = driver.Slots[0];
        byte* page = driver.Memory.Host(DriverMemory.ReadOnly, 0);
        new System.Span<byte>(page, (int)DriverMemory.ReadOnly.Size).Fill(0xA5);
        s.Prepare(0, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0);
        s.Queue.SetDesc(0, s.HeaderIova(0), 16, Next, 1);
        s.Queue.SetDesc(1, DriverMemory.ReadOnly.At(7), 1, Write);
        Chain(s, 1, DriverMemory.ReadOnly.At(512), 512, s.StatusIova(1));
        Dictionary<uint, uint> used = Answers.Send(driver, 0, 0, 3);
        if (used[0] != 0)
        {
            throw new CaseFailedException("a flush whose status is in read-only memory came back with used length " + used[0]);
        }

        string line = "flush with its status there returned, length 0; " + Answers.NoStatus(driver, 0, 1, used, 3, "read into it");
        for (int i = 0; i < (int)DriverMemory.ReadOnly.Size; i++)
        {
            if (page[i] != 0xA5)
            {
                throw new CaseFailedException("the device wrote byte " + i + " of the page the IOTLB maps read-only");
            }
        }

        return line + "; the read-only page unchanged";
    }

    /// <summary>One request in slot <paramref name="slot"/>: header, one data buffer (device-writable), status.</summary>
    private static void Chain(RequestSlots s, int slot, ulong data, uint length, ulong status, ushort statusFlags = Write, uint statusLength = 1)
    {
        s.Prepare(slot, In, 0);
        ushort head = (ushort)(3 * slot);
        s.Queue.SetDesc(head, s.HeaderIova(slot), 16, Next, (ushort)(head + 1));
        s.Queue.SetDesc((ushort)(head + 1), data, length, Write | Next, (ushort)(head + 2));
        s.Queue.SetDesc((ushort)(head + 2), status, statusLength, statusFlags);
    }

    /// <summary>
    /// A read whose status the device cannot reach but whose data it could: the daemon puts IOERR
    /// in the last device-writable byte it reached (the data buffer's last byte; 512 bytes long).
    /// </summary>
    private static string LastWritable(RequestSlots s, int slot, Dictionary<uint, uint> used, ushort head, string what)
    {
        byte last = s.Data(slot)[511];
        if (last != VirtioBlk.VIRTIO_BLK_S_IOERR || used[head] != 1 || s.Status(slot) != RequestSlots.Unanswered)
        {
            throw new CaseFailedException(what + ": data's last byte " + last + ", used length " + used[head] + ", status byte " + s.Status(slot)
                + "; want IOERR in the last writable byte, length 1, status untouched");
        }

        return what + " IOERR in the last writable byte reached";
    }

    private static void FillData(RequestSlots s, int slots, byte value)
    {
        for (int i = 0; i < slots; i++)
        {
            s.Data(i).Fill(value);
        }
    }

    private static void ExpectData(RequestSlots s, int slot, byte value, string what)
    {
        int at = s.Data(slot).IndexOfAnyExcept(value);
        if (at >= 0)
        {
            throw new CaseFailedException(what + " was written at byte " + at + " although the request failed");
        }
    }
}
