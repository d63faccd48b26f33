using System;
using System.Collections.Generic;
using System.Text;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// Well-formed requests and the answers a working device gives them: patterns written and read
/// back, FLUSH, GET_ID. The first case, and the check after every hostile one.
/// </summary>
public static class ValidIo
{
    /// <summary>How long a valid request may take (TCG guests are slow).</summary>
    public const int TimeoutMs = 10_000;

    private const uint SectorsPerSlot = RequestSlots.DataBytes / VirtioBlk.SECTOR_SIZE;

    /// <summary>
    /// Writes <paramref name="count"/> 4 KiB blocks of a pattern from <paramref name="seed"/> on queue
    /// <paramref name="queue"/> (queue Q writes its own 1 MiB of the disk), reads them back into
    /// cleared buffers and compares, then flushes. Fails the case on any other answer.
    /// </summary>
    public static void RoundTrip(BlkDriver driver, int queue, int count, byte seed)
    {
        ArgumentNullException.ThrowIfNull(driver);
        RequestSlots slots = driver.Slots[queue];
        var heads = new ushort[count];
        for (int s = 0; s < count; s++)
        {
            heads[s] = slots.Build(s, VirtioBlk.VIRTIO_BLK_T_OUT, Sector(queue, s), RequestSlots.DataBytes);
            Fill(slots.Data(s), seed, Sector(queue, s));
        }

        Run(driver, queue, heads, "write");
        for (int s = 0; s < count; s++)
        {
            heads[s] = slots.Build(s, VirtioBlk.VIRTIO_BLK_T_IN, Sector(queue, s), RequestSlots.DataBytes);
            slots.Data(s).Clear();
        }

        Dictionary<uint, uint> used = Run(driver, queue, heads, "read");
        for (int s = 0; s < count; s++)
        {
            if (used[heads[s]] != RequestSlots.DataBytes + 1)
            {
                throw new CaseFailedException("read on queue " + queue + " returned used length " + used[heads[s]] + ", not " + (RequestSlots.DataBytes + 1));
            }

            int bad = Mismatch(slots.Data(s), seed, Sector(queue, s));
            if (bad >= 0)
            {
                throw new CaseFailedException("read back on queue " + queue + " differs at byte " + bad + " of sector " + Sector(queue, s));
            }
        }

        Run(driver, queue, [slots.Build(0, VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0)], "flush");
    }

    /// <summary>GET_ID on queue <paramref name="queue"/>: the serial the device reports (up to 20 bytes, NUL padded).</summary>
    public static string GetId(BlkDriver driver, int queue)
    {
        ArgumentNullException.ThrowIfNull(driver);
        RequestSlots slots = driver.Slots[queue];
        slots.Data(0).Fill(0xFF);
        Run(driver, queue, [slots.Build(0, VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, VirtioBlk.VIRTIO_BLK_ID_BYTES)], "GET_ID");
        ReadOnlySpan<byte> id = slots.Data(0)[..VirtioBlk.VIRTIO_BLK_ID_BYTES];
        if (slots.Data(0)[VirtioBlk.VIRTIO_BLK_ID_BYTES] != 0xFF)
        {
            throw new CaseFailedException("GET_ID wrote past its 20-byte buffer");
        }

        int end = id.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? id : id[..end]);
    }

    /// <summary>The sector slot <paramref name="slot"/> of queue <paramref name="queue"/> uses.</summary>
    public static ulong Sector(int queue, int slot) => (ulong)((queue * 2048) + (slot * SectorsPerSlot));

    /// <summary>Fills <paramref name="data"/> with the pattern of <paramref name="seed"/> at <paramref name="sector"/>.</summary>
    public static void Fill(Span<byte> data, byte seed, ulong sector)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Pattern(seed, sector, i);
        }
    }

    /// <summary>The first byte of <paramref name="data"/> that is not the pattern, or -1.</summary>
    public static int Mismatch(ReadOnlySpan<byte> data, byte seed, ulong sector)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != Pattern(seed, sector, i))
            {
                return i;
            }
        }

        return -1;
    }

    // The sector is in the pattern so a block written to the wrong place does not read back as right.
    private static byte Pattern(byte seed, ulong sector, int i) => (byte)(seed + (byte)(sector * 13) + (i * 7) + (i >> 8));

    private static Dictionary<uint, uint> Run(BlkDriver driver, int queue, ushort[] heads, string what)
    {
        driver.Submit(queue, heads);
        Dictionary<uint, uint> used = driver.Expect(queue, TimeoutMs, heads);
        RequestSlots slots = driver.Slots[queue];
        for (int i = 0; i < heads.Length; i++)
        {
            byte status = slots.Status(heads[i] / 3);
            if (status != VirtioBlk.VIRTIO_BLK_S_OK)
            {
                throw new CaseFailedException(what + " on queue " + queue + " answered status " + status + ", not OK");
            }
        }

        return used;
    }
}
