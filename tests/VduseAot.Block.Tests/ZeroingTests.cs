using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;
using static VduseAot.Testing.BlkCodes;

namespace VduseAot.Block.Tests;

/// <summary>DISCARD and WRITE_ZEROES end to end on the RAM, file and null backends.</summary>
public sealed unsafe class ZeroingTests
{
    private const uint DISCARD = VirtioBlk.VIRTIO_BLK_T_DISCARD;
    private const uint WZ = VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES;
    private const uint UNMAP = BlkLimits.WriteZeroesFlagUnmap;
    private const ulong MiB = 1UL << 20;
    private const ulong Capacity = MiB;          // 2048 sectors
    private const ulong Sectors = Capacity / 512;
    private const int Written = 64 * 1024;       // sectors 0..127 hold a pattern in most tests

    private static FileRig Make(string kind, TempDir dir, ulong capacity = Capacity, bool readOnly = false)
    {
        switch (kind)
        {
            case "ram":
                return new FileRig(new RamBackend(capacity, readOnly));
            case "null":
                return new FileRig(new NullBackend(capacity, readOnly));
            case "file":
                string path = dir.PathOf("disk.img");
                if (!readOnly)
                {
                    return FileRig.OpenFile(path, capacity);
                }

                using (var f = new FileStream(path, FileMode.Create))
                {
                    f.Write(FileRig.Pattern(Written, 1));
                    f.SetLength((long)capacity);
                }

                return FileRig.OpenFile(path, null, readOnly: true);
            default:
                throw new ArgumentException(kind);
        }
    }

    /// <summary>Writes the pattern over sectors 0..127 (read-only rigs have it in the file already).</summary>
    private static byte[] Prefill(FileRig rig)
    {
        byte[] p = FileRig.Pattern(Written, 1);
        if (!rig.Backend.ReadOnly)
        {
            rig.WriteSectors(0, p, pieces: 3);
        }

        return p;
    }

    private static byte[] ReadBack(FileRig rig) => rig.ReadSectors(0, Written, pieces: 2);

    private static void AssertFileIs(FileRig rig, byte[] expectedPrefix)
    {
        if (rig.Backend is not FileBackend file)
        {
            return;
        }

        byte[] all = File.ReadAllBytes(file.Path);
        Assert.Equal((long)rig.Backend.CapacityBytes, all.LongLength);
        Assert.True(expectedPrefix.AsSpan().SequenceEqual(all.AsSpan(0, expectedPrefix.Length)));
    }

    private static byte[] WithZeroes(byte[] data, params (ulong Sector, uint Sectors, uint Flags)[] ranges)
    {
        byte[] e = (byte[])data.Clone();
        foreach ((ulong s, uint n, uint _) in ranges)
        {
            e.AsSpan((int)(s * 512), (int)(n * 512)).Clear();
        }

        return e;
    }

    private static byte Run(FileRig rig, BlkRequestLayout r)
    {
        UsedEntry u = rig.RunOne(r);
        Assert.Equal(1u, u.Length);
        return rig.Builder.Status(r);
    }

    private static (ulong, uint, uint)[] Ranges(int count, uint flags) =>
        Enumerable.Range(0, count).Select(i => ((ulong)(2 * i) + 1, 1u, flags)).ToArray();

    // ---- what gets zeroed ----

    [Theory]
    [InlineData("ram", DISCARD, 0u, 1)]
    [InlineData("ram", WZ, 0u, 1)]
    [InlineData("ram", WZ, UNMAP, 3)]
    [InlineData("file", DISCARD, 0u, 1)]
    [InlineData("file", DISCARD, 0u, 5)]
    [InlineData("file", WZ, 0u, 1)]
    [InlineData("file", WZ, 0u, 7)]
    [InlineData("file", WZ, UNMAP, 2)]
    public void Zeroed_ranges_read_back_as_zeroes_and_the_rest_is_untouched(string kind, uint type, uint flags, int pieces)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = Prefill(rig);

        // Whole blocks, partial blocks, a single sector, an empty segment, and a range past what was written.
        (ulong, uint, uint)[] ranges = [(8, 16, flags), (41, 3, flags), (100, 1, flags), (60, 0, flags), (120, 200, flags)];
        BlkRequestLayout r = rig.Builder.AddZeroing(type, ranges, pieces);
        Assert.Equal(OK, Run(rig, r));

        byte[] expected = WithZeroes(before, (8, 16, 0), (41, 3, 0), (100, 1, 0), (120, 8, 0));
        Assert.True(expected.AsSpan().SequenceEqual(ReadBack(rig)));
        Assert.All(rig.ReadSectors(128, 192 * 512), b => Assert.Equal(0, b));
        AssertFileIs(rig, expected);
        Assert.Equal(1UL, rig.Stats.Zeroings);
        Assert.Equal(0UL, rig.Stats.IoErrors);
    }

    [Theory]
    [InlineData("ram")]
    [InlineData("file")]
    public void Write_zeroes_may_mix_unmap_and_plain_segments(string kind)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = Prefill(rig);
        BlkRequestLayout r = rig.Builder.AddZeroing(WZ, [(0, 8, UNMAP), (16, 8, 0), (33, 2, UNMAP), (50, 5, 0)]);
        Assert.Equal(OK, Run(rig, r));
        byte[] expected = WithZeroes(before, (0, 8, 0), (16, 8, 0), (33, 2, 0), (50, 5, 0));
        Assert.True(expected.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, expected);
    }

    [Theory]
    [InlineData("ram", DISCARD)]
    [InlineData("ram", WZ)]
    [InlineData("file", DISCARD)]
    [InlineData("file", WZ)]
    [InlineData("null", DISCARD)]
    [InlineData("null", WZ)]
    public void Sixteen_segments_are_accepted_and_seventeen_are_unsupported(string kind, uint type)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = kind == "null" ? new byte[Written] : Prefill(rig);

        BlkRequestLayout seventeen = rig.Builder.AddZeroing(type, Ranges(17, 0), pieces: 4);
        Assert.Equal(UNSUPP, Run(rig, seventeen));
        Assert.True(before.AsSpan().SequenceEqual(ReadBack(rig)));
        Assert.Equal(1UL, rig.Stats.Unsupported);

        BlkRequestLayout sixteen = rig.Builder.AddZeroing(type, Ranges(16, 0), pieces: 4);
        Assert.Equal(OK, Run(rig, sixteen));
        byte[] expected = WithZeroes(before, Ranges(16, 0));
        Assert.True(expected.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, expected);
        Assert.Equal(1UL, rig.Stats.Zeroings);
    }

    [Theory]
    [InlineData("ram", UNMAP)]
    [InlineData("ram", 2u)]
    [InlineData("ram", 0x8000_0000u)]
    [InlineData("file", UNMAP)]
    [InlineData("file", 2u)]
    [InlineData("file", 0x8000_0000u)]
    [InlineData("null", UNMAP)]
    [InlineData("null", 4u)]
    public void Discard_with_the_unmap_flag_or_unknown_flags_is_unsupported_and_touches_nothing(string kind, uint flags)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = kind == "null" ? new byte[Written] : Prefill(rig);

        Assert.Equal(UNSUPP, Run(rig, rig.Builder.AddZeroing(DISCARD, [(0, 8, flags)])));

        // Only the second segment is bad: the first is not applied either.
        Assert.Equal(UNSUPP, Run(rig, rig.Builder.AddZeroing(DISCARD, [(16, 8, 0), (32, 8, flags)])));
        Assert.True(before.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, before);
        Assert.Equal(2UL, rig.Stats.Unsupported);
        Assert.Equal(0UL, rig.Stats.Zeroings);
    }

    [Theory]
    [InlineData("ram", 2u)]
    [InlineData("ram", 3u)]
    [InlineData("ram", 0x8000_0001u)]
    [InlineData("file", 2u)]
    [InlineData("file", 3u)]
    [InlineData("file", 0x8000_0000u)]
    [InlineData("null", 0x10u)]
    public void Write_zeroes_with_unknown_flags_is_unsupported_and_touches_nothing(string kind, uint flags)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = kind == "null" ? new byte[Written] : Prefill(rig);
        Assert.Equal(UNSUPP, Run(rig, rig.Builder.AddZeroing(WZ, [(0, 8, UNMAP), (16, 8, flags)])));
        Assert.True(before.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, before);
    }

    public static TheoryData<string, uint, int> BadPayloads()
    {
        var d = new TheoryData<string, uint, int>();
        foreach (string kind in new[] { "ram", "file", "null" })
        {
            foreach (uint type in new[] { DISCARD, WZ })
            {
                foreach (int length in new[] { 0, 1, 8, 15, 17, 40, 255 })
                {
                    d.Add(kind, type, length);
                }
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(BadPayloads))]
    public void Payload_empty_or_not_a_multiple_of_16_is_ioerr(string kind, uint type, int length)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = kind == "null" ? new byte[Written] : Prefill(rig);

        // Whole segments in the payload are valid (sector 2i, 4 sectors, no flags): only the length is wrong.
        byte[] payload = new byte[length];
        for (int i = 0; (i + 1) * 16 <= length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(i * 16), (ulong)(8 * i));
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan((i * 16) + 8), 4);
        }

        BlkRequestLayout r = rig.Builder.AddReadable(type, 0, payload, pieces: length >= 2 ? 2 : 1);
        Assert.Equal(IOERR, Run(rig, r));
        Assert.True(before.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, before);
        Assert.Equal(1UL, rig.Stats.IoErrors);
    }

    public static TheoryData<string, uint, ulong, uint> OutsideTheDisk()
    {
        var d = new TheoryData<string, uint, ulong, uint>();
        foreach (string kind in new[] { "ram", "file", "null" })
        {
            foreach (uint type in new[] { DISCARD, WZ })
            {
                d.Add(kind, type, Sectors, 1);           // first sector past the end
                d.Add(kind, type, Sectors - 1, 2);       // starts inside, ends past the end
                d.Add(kind, type, Sectors + 1, 0);       // empty, but starts past the end
                d.Add(kind, type, 0, (uint)Sectors + 1);
                d.Add(kind, type, ulong.MaxValue, 1);
                d.Add(kind, type, ulong.MaxValue - 1, 2); // sector + num wraps
                d.Add(kind, type, 1UL << 55, 1);          // sector * 512 wraps to 0
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(OutsideTheDisk))]
    public void Range_outside_the_disk_is_ioerr_and_no_segment_is_applied(string kind, uint type, ulong sector, uint count)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        byte[] before = kind == "null" ? new byte[Written] : Prefill(rig);
        BlkRequestLayout r = rig.Builder.AddZeroing(type, [(0, 8, 0), (sector, count, 0)]);
        Assert.Equal(IOERR, Run(rig, r));
        Assert.True(before.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, before);
        Assert.Equal(1UL, rig.Stats.IoErrors);
    }

    [Theory]
    [InlineData("ram", DISCARD)]
    [InlineData("ram", WZ)]
    [InlineData("file", DISCARD)]
    [InlineData("file", WZ)]
    public void Ranges_reaching_the_last_sector_are_ok(string kind, uint type)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir);
        rig.WriteSectors(Sectors - 16, FileRig.Pattern(8192, 2));
        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(type, [(Sectors - 8, 8, 0), (Sectors, 0, 0)])));
        byte[] tail = rig.ReadSectors(Sectors - 16, 8192);
        Assert.True(FileRig.Pattern(8192, 2).AsSpan(0, 4096).SequenceEqual(tail.AsSpan(0, 4096)));
        Assert.All(tail[4096..], b => Assert.Equal(0, b));
        if (kind == "file")
        {
            Assert.Equal((long)Capacity, new FileInfo(rig.File.Path).Length); // KEEP_SIZE: the file does not grow or shrink
        }
    }

    [Theory]
    [InlineData("null", DISCARD, 0u)]
    [InlineData("null", WZ, 0u)]
    [InlineData("null", WZ, UNMAP)]
    [InlineData("file", DISCARD, 0u)]
    [InlineData("file", WZ, UNMAP)]
    public void More_than_max_sectors_in_one_segment_is_ioerr_even_inside_the_disk(string kind, uint type, uint flags)
    {
        // A disk larger than one maximal segment (2 GiB): sparse for the file, nothing at all for null.
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir, capacity: (4UL << 30) + MiB);
        ulong over = 2;
        Assert.Equal(IOERR, Run(rig, rig.Builder.AddZeroing(type, [(over, BlkLimits.MaxZeroingSectors + 1, flags)])));
        Assert.Equal(IOERR, Run(rig, rig.Builder.AddZeroing(type, [(0, 8, flags), (over, uint.MaxValue, flags)])));
        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(type, [(over, BlkLimits.MaxZeroingSectors, flags)])));
        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(type, [(0, BlkLimits.MaxZeroingSectors, flags), (BlkLimits.MaxZeroingSectors, BlkLimits.MaxZeroingSectors, flags)])));
        Assert.Equal(2UL, rig.Stats.IoErrors);
        Assert.Equal(2UL, rig.Stats.Zeroings);
    }

    [Theory]
    [InlineData("ram", DISCARD, 0u)]
    [InlineData("ram", WZ, 0u)]
    [InlineData("ram", WZ, UNMAP)]
    [InlineData("file", DISCARD, 0u)]
    [InlineData("file", WZ, 0u)]
    [InlineData("file", WZ, UNMAP)]
    [InlineData("null", DISCARD, 0u)]
    [InlineData("null", WZ, 0u)]
    public void Read_only_backend_refuses_zeroing_with_ioerr(string kind, uint type, uint flags)
    {
        using var dir = new TempDir();
        using FileRig rig = Make(kind, dir, readOnly: true);
        Assert.True(rig.Backend.ReadOnly);
        Assert.Equal(IOERR, Run(rig, rig.Builder.AddZeroing(type, [(0, 8, flags)])));
        if (kind == "file")
        {
            Assert.True(FileRig.Pattern(Written, 1).AsSpan().SequenceEqual(ReadBack(rig)));
            AssertFileIs(rig, FileRig.Pattern(Written, 1));
        }

        Assert.Equal(1UL, rig.Stats.IoErrors);
    }

    [Theory]
    [InlineData(DISCARD, 0u)]
    [InlineData(WZ, 0u)]
    [InlineData(WZ, UNMAP)]
    public void Null_backend_accepts_discard_and_write_zeroes(uint type, uint flags)
    {
        using var dir = new TempDir();
        using FileRig rig = Make("null", dir);
        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(type, [(0, 8, flags), (Sectors - 1, 1, flags)], pieces: 3)));
        Assert.All(rig.ReadSectors(0, 4096), b => Assert.Equal(0, b));
        Assert.Equal(1UL, rig.Stats.Zeroings);
    }

    [Fact]
    public void Zeroing_is_unsupported_when_the_backend_does_not_offer_it()
    {
        using var inner = new RamBackend(Capacity, false);
        using var rig = new FileRig(new NoZeroing(inner));
        Assert.Equal(UNSUPP, Run(rig, rig.Builder.AddZeroing(DISCARD, [(0, 8, 0)])));
        Assert.Equal(UNSUPP, Run(rig, rig.Builder.AddZeroing(WZ, [(0, 8, 0)])));
    }

    // ---- the file's blocks ----

    [Theory]
    [InlineData(DISCARD, 0u)]
    [InlineData(WZ, UNMAP)]
    public void File_discard_or_unmapping_write_zeroes_frees_the_blocks_and_keeps_the_length(uint type, uint flags)
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), 4 * MiB);
        string path = rig.File.Path;
        const ulong Start = 2048; // 1 MiB in
        long empty = rig.AllocatedBlocks();
        rig.WriteSectors(Start, FileRig.Pattern((int)MiB, 3), pieces: 4);
        Assert.Equal(OK, rig.Flush());
        long written = rig.AllocatedBlocks();
        Assert.True(written - empty >= 2048, "st_blocks " + empty + " -> " + written + " after writing 1 MiB");

        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(type, [(Start, 2048, flags)])));
        long after = rig.AllocatedBlocks();
        Assert.True(after <= written - 2048, "st_blocks " + written + " -> " + after + " after freeing 1 MiB");
        Assert.Equal(4 * (long)MiB, new FileInfo(path).Length);
        byte[] file = File.ReadAllBytes(path);
        Assert.All(file, b => Assert.Equal(0, b));
        Assert.All(rig.ReadSectors(Start, (uint)MiB), b => Assert.Equal(0, b));
    }

    [Fact]
    public void File_write_zeroes_without_unmap_zeroes_in_place_and_keeps_the_length()
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), 4 * MiB);
        string path = rig.File.Path;
        rig.WriteSectors(2048, FileRig.Pattern((int)MiB, 4), pieces: 2);
        Assert.Equal(OK, rig.Flush());
        long written = rig.AllocatedBlocks();

        Assert.Equal(OK, Run(rig, rig.Builder.AddZeroing(WZ, [(2048, 2048, 0)])));
        Assert.Equal(4 * (long)MiB, new FileInfo(path).Length);
        Assert.All(File.ReadAllBytes(path), b => Assert.Equal(0, b));
        Assert.All(rig.ReadSectors(2048, (uint)MiB), b => Assert.Equal(0, b));

        // Not unmapped: the blocks stay allocated (as unwritten extents on ext4).
        Assert.True(rig.AllocatedBlocks() >= written - 8, "st_blocks " + written + " -> " + rig.AllocatedBlocks());
    }

    [Fact]
    public void File_zeroing_with_sixteen_ranges_completes_once_after_all_of_them()
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), Capacity);
        byte[] before = Prefill(rig);
        (ulong, uint, uint)[] ranges = Enumerable.Range(0, 16).Select(i => ((ulong)(8 * i) + 1, 3u, i % 2 == 0 ? UNMAP : 0u)).ToArray();
        BlkRequestLayout r = rig.Builder.AddZeroing(WZ, ranges, pieces: 3);
        Assert.Equal(1, rig.StartAvailable());
        Assert.Equal(1, rig.Queue.InFlight);
        int cqes = 0;
        while (rig.Queue.InFlight > 0)
        {
            Assert.Empty(rig.Driver.TakeUsed());
            rig.Complete(rig.WaitOneCqe());
            cqes++;
        }

        Assert.Equal(16, cqes);
        Assert.Equal([new UsedEntry(r.Head, 1)], rig.Driver.TakeUsed());
        Assert.Equal(OK, rig.Builder.Status(r));
        byte[] expected = WithZeroes(before, ranges);
        Assert.True(expected.AsSpan().SequenceEqual(ReadBack(rig)));
        AssertFileIs(rig, expected);
    }

    /// <summary>A backend that serves reads and writes but offers neither DISCARD nor WRITE_ZEROES.</summary>
    private sealed class NoZeroing(IBlockBackend inner) : IBlockBackend
    {
        public ulong CapacityBytes => inner.CapacityBytes;

        public bool ReadOnly => inner.ReadOnly;

        public BlkBackendFeatures Features => BlkBackendFeatures.None;

        public string Describe() => "no-zeroing";

        public void Resize(ulong capacityBytes) => inner.Resize(capacityBytes);

        public IBlockQueueIo OpenQueue(VduseAot.Uring.IoUring? ring) => inner.OpenQueue(ring);

        public void Dispose()
        {
        }
    }
}
