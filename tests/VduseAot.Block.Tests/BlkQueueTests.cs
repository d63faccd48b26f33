using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;
using static VduseAot.Testing.BlkCodes;

namespace VduseAot.Block.Tests;

public sealed unsafe class BlkQueueTests
{
    private const ushort NEXT = VirtioConstants.VRING_DESC_F_NEXT;
    private const ushort WRITE = VirtioConstants.VRING_DESC_F_WRITE;

    private static ulong Header(BlkRig rig, uint type, ulong sector)
    {
        ulong h = rig.Buffer(16, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(h, 4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(h + 4, 4), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(rig.Ram.Span(h + 8, 8), sector);
        return h;
    }

    private static ulong StatusByte(BlkRig rig)
    {
        ulong s = rig.Buffer(1, 1);
        rig.Ram.Span(s, 1)[0] = 0xff;
        return s;
    }

    // ---- data path ----

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(3, 5, 0)]
    [InlineData(3, 5, 4096)]
    [InlineData(7, 2, 512)]
    public void Write_then_read_back_with_split_buffers(int writePieces, int readPieces, uint regionSize)
    {
        using var rig = new BlkRig();
        rig.Ram.RegionSize = regionSize; // after Start: the rings stay whole, the data splits
        const uint Bytes = 16384;
        const ulong Sector = 3;

        // Data starts 100 bytes before a 4 KiB boundary, so every piece crosses regions at odd offsets.
        ulong wdata = rig.Buffer(Bytes + 8192, 4096) + 4096 - 100;
        rig.Fill(wdata, (int)Bytes, 1);
        BlkRequestLayout w = rig.Builder.Add(OUT, Sector, Bytes, writePieces, wdata);
        UsedEntry wu = rig.RunOne(w);
        Assert.Equal(OK, rig.Builder.Status(w));
        Assert.Equal(1u, wu.Length);

        ulong rdata = rig.Buffer(Bytes + 8192, 4096) + 4096 - 300;
        rig.Ram.Span(rdata, (int)Bytes).Fill(0xcc);
        BlkRequestLayout r = rig.Builder.Add(IN, Sector, Bytes, readPieces, rdata);
        UsedEntry ru = rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.Equal(Bytes + 1, ru.Length);
        Assert.True(rig.Ram.Span(wdata, (int)Bytes).SequenceEqual(rig.Ram.Span(rdata, (int)Bytes)));

        // Sector addressing: sector 4 is byte 512 of what was written; sector 2 and 35 were never written.
        byte[] four = rig.ReadSectors(Sector + 1, 512);
        Assert.True(rig.Ram.Span(wdata + 512, 512).SequenceEqual(four));
        Assert.All(rig.ReadSectors(Sector - 1, 512), b => Assert.Equal(0, b));
        Assert.All(rig.ReadSectors(Sector + (Bytes / 512), 512), b => Assert.Equal(0, b));

        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(0UL, rig.Stats.IoErrors);
        Assert.Equal(0UL, rig.Stats.Malformed);
    }

    [Fact]
    public void Read_does_not_write_past_the_data_buffers()
    {
        using var rig = new BlkRig();
        rig.WriteSectors(0, new byte[1024]);
        ulong area = rig.Buffer(2048, 512);
        rig.Ram.Span(area, 2048).Fill(0x5a);
        BlkRequestLayout r = rig.Builder.Add(IN, 0, 1024, 2, area + 512);
        rig.RunOne(r);
        Assert.All(rig.Ram.Span(area, 512).ToArray(), b => Assert.Equal(0x5a, b));
        Assert.All(rig.Ram.Span(area + 512, 1024).ToArray(), b => Assert.Equal(0, b));
        Assert.All(rig.Ram.Span(area + 1536, 512).ToArray(), b => Assert.Equal(0x5a, b));
    }

    [Fact]
    public void Header_split_across_two_descriptors_parses()
    {
        using var rig = new BlkRig();
        ulong whole = Header(rig, OUT, 9);
        ulong lo = rig.Buffer(8, 8);
        ulong hi = rig.Buffer(64, 8) + 32; // not adjacent to lo
        rig.Ram.Span(whole, 8).CopyTo(rig.Ram.Span(lo, 8));
        rig.Ram.Span(whole + 8, 8).CopyTo(rig.Ram.Span(hi, 8));
        ulong data = rig.Buffer(1024, 512);
        rig.Fill(data, 1024, 5);
        ulong status = StatusByte(rig);

        ushort head = rig.Driver.AddChain(new Buf(lo, 8, false), new Buf(hi, 8, false), new Buf(data, 1024, false), new Buf(status, 1, true));
        List<UsedEntry> used = rig.Run();
        Assert.Equal([new UsedEntry(head, 1)], used);
        Assert.Equal(OK, rig.Ram.Span(status, 1)[0]);
        Assert.True(rig.Ram.Span(data, 1024).SequenceEqual(rig.ReadSectors(9, 1024)));
    }

    [Fact]
    public void Header_split_by_a_region_boundary_inside_one_descriptor_parses()
    {
        using var rig = new BlkRig();
        rig.Ram.RegionSize = 4096;
        ulong page = rig.Buffer(8192, 4096);
        ulong h = page + 4096 - 5; // 5 bytes in one region, 11 in the next
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(h, 4), OUT);
        BinaryPrimitives.WriteUInt64LittleEndian(rig.Ram.Span(h + 8, 8), 17);
        ulong data = rig.Buffer(512, 512);
        rig.Fill(data, 512, 9);
        ulong status = StatusByte(rig);
        rig.Driver.AddChain(new Buf(h, 16, false), new Buf(data, 512, false), new Buf(status, 1, true));
        rig.Run();
        Assert.Equal(OK, rig.Ram.Span(status, 1)[0]);
        Assert.True(rig.Ram.Span(data, 512).SequenceEqual(rig.ReadSectors(17, 512)));
    }

    [Fact]
    public void Header_and_data_in_one_descriptor_and_data_and_status_in_one_descriptor()
    {
        using var rig = new BlkRig();

        // OUT: [header + 512 data] readable, [status] writable.
        ulong hd = rig.Buffer(16 + 512, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(hd, 4), OUT);
        BinaryPrimitives.WriteUInt64LittleEndian(rig.Ram.Span(hd + 8, 8), 40);
        rig.Fill(hd + 16, 512, 3);
        ulong status = StatusByte(rig);
        rig.Driver.AddChain(new Buf(hd, 16 + 512, false), new Buf(status, 1, true));
        Assert.Equal(1u, rig.Run()[0].Length);
        Assert.Equal(OK, rig.Ram.Span(status, 1)[0]);

        // IN: [header] readable, [512 data + status] writable.
        ulong h = Header(rig, IN, 40);
        ulong ds = rig.Buffer(513, 16);
        rig.Ram.Span(ds, 513).Fill(0xee);
        rig.Driver.AddChain(new Buf(h, 16, false), new Buf(ds, 513, true));
        Assert.Equal(513u, rig.Run()[0].Length);
        Assert.Equal(OK, rig.Ram.Span(ds + 512, 1)[0]);
        Assert.True(rig.Ram.Span(hd + 16, 512).SequenceEqual(rig.Ram.Span(ds, 512)));
    }

    [Fact]
    public void Header_sharing_a_descriptor_with_the_first_data_piece()
    {
        using var rig = new BlkRig();

        // [header + 512 data] then [1024 data]: the 16-byte skip applies to the first descriptor only.
        ulong a = rig.Buffer(16 + 512, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(a, 4), OUT);
        BinaryPrimitives.WriteUInt64LittleEndian(rig.Ram.Span(a + 8, 8), 60);
        rig.Fill(a + 16, 512, 4);
        ulong b = rig.Buffer(1024, 512);
        rig.Fill(b, 1024, 6);
        ulong status = StatusByte(rig);
        ushort head = rig.Driver.AddChain(new Buf(a, 16 + 512, false), new Buf(b, 1024, false), new Buf(status, 1, true));
        Assert.Equal([new UsedEntry(head, 1)], rig.Run());
        Assert.Equal(OK, rig.Ram.Span(status, 1)[0]);
        Assert.Equal(1536UL, rig.Stats.BytesWritten);

        byte[] back = rig.ReadSectors(60, 1536);
        Assert.True(rig.Ram.Span(a + 16, 512).SequenceEqual(back.AsSpan(0, 512)));
        Assert.True(rig.Ram.Span(b, 1024).SequenceEqual(back.AsSpan(512)));
    }

    [Fact]
    public void Last_sector_is_reachable()
    {
        using var rig = new BlkRig();
        ulong last = (BlkRig.DefaultCapacity / 512) - 1;
        byte[] data = new byte[512];
        data.AsSpan().Fill(0x42);
        rig.WriteSectors(last, data);
        Assert.Equal(data, rig.ReadSectors(last, 512));
    }

    // ---- other commands ----

    [Fact]
    public void Flush_returns_ok()
    {
        using var rig = new BlkRig();
        BlkRequestLayout f = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        UsedEntry u = rig.RunOne(f);
        Assert.Equal(OK, rig.Builder.Status(f));
        Assert.Equal(1u, u.Length);
        Assert.Equal(1UL, rig.Stats.Flushes);
        Assert.Equal(1UL, rig.Stats.Requests);
    }

    [Theory]
    [InlineData("vduse-serial", 20)]           // shorter than 20: zero padded
    [InlineData("ABCDEFGHIJKLMNOPQRST", 20)]   // exactly 20: no NUL
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 20)] // longer: first 20
    [InlineData("", 20)]
    [InlineData("vduse-serial", 512)]          // bigger buffer: still 20 bytes
    public void Get_id_writes_the_serial_zero_padded(string serial, uint bufferBytes)
    {
        using var rig = new BlkRig(serial: serial);
        BlkRequestLayout r = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, bufferBytes);
        rig.Builder.Data(r).Fill(0xaa);
        UsedEntry u = rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.Equal(21u, u.Length);

        byte[] expected = new byte[20];
        byte[] text = Encoding.ASCII.GetBytes(serial);
        Array.Copy(text, expected, Math.Min(20, text.Length));
        Assert.Equal(expected, rig.Builder.Data(r).Slice(0, 20).ToArray());
        Assert.All(rig.Builder.Data(r).Slice(20).ToArray(), b => Assert.Equal(0xaa, b));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(1)]
    [InlineData(19)]
    public void Get_id_truncates_to_a_short_buffer(uint bufferBytes)
    {
        const string Serial = "ABCDEFGHIJKLMNOPQRST";
        using var rig = new BlkRig(serial: Serial);
        ulong area = rig.Buffer(32, 16);
        rig.Ram.Span(area, 32).Fill(0xaa);
        BlkRequestLayout r = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, bufferBytes, 1, area);
        UsedEntry u = rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.Equal(bufferBytes + 1, u.Length);
        Assert.Equal(Encoding.ASCII.GetBytes(Serial.Substring(0, (int)bufferBytes)), rig.Ram.Span(area, (int)bufferBytes).ToArray());
        Assert.All(rig.Ram.Span(area + bufferBytes, 32 - (int)bufferBytes).ToArray(), b => Assert.Equal(0xaa, b));
    }

    [Fact]
    public void Get_id_across_several_descriptors()
    {
        using var rig = new BlkRig(serial: "0123456789abcdefghij");
        ulong h = Header(rig, VirtioBlk.VIRTIO_BLK_T_GET_ID, 0);
        ulong a = rig.Buffer(5), b = rig.Buffer(7), c = rig.Buffer(8);
        ulong status = StatusByte(rig);
        rig.Driver.AddChain(new Buf(h, 16, false), new Buf(a, 5, true), new Buf(b, 7, true), new Buf(c, 8, true), new Buf(status, 1, true));
        Assert.Equal(21u, rig.Run()[0].Length);
        Assert.Equal(OK, rig.Ram.Span(status, 1)[0]);
        Assert.Equal("01234", Encoding.ASCII.GetString(rig.Ram.Span(a, 5)));
        Assert.Equal("56789ab", Encoding.ASCII.GetString(rig.Ram.Span(b, 7)));
        Assert.Equal("cdefghij", Encoding.ASCII.GetString(rig.Ram.Span(c, 8)));
    }

    [Fact]
    public void Serial_with_multibyte_characters_is_truncated_to_20_bytes_not_rejected()
    {
        // BlkExecutor promises "truncated to 20 bytes"; 11 x 'é' is 11 chars but 22 UTF-8 bytes.
        using var backend = new RamBackend(4096, false);
        string serial = new('é', 11);
        Assert.Null(Record.Exception(() => new BlkExecutor(backend, serial)));

        using var rig = new BlkRig(serial: serial);
        BlkRequestLayout r = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, 20);
        UsedEntry u = rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.Equal(21u, u.Length);

        // Whether the cut falls inside a character or before it, the first 9 characters survive.
        byte[] utf8 = Encoding.UTF8.GetBytes(serial);
        Assert.Equal(utf8.AsSpan(0, 18).ToArray(), rig.Builder.Data(r).Slice(0, 18).ToArray());
    }

    [Theory]
    [InlineData(99u)]
    [InlineData(10u)] // VIRTIO_BLK_T_GET_LIFETIME: not offered
    [InlineData(14u)] // VIRTIO_BLK_T_SECURE_ERASE: not offered
    [InlineData(uint.MaxValue)]
    public void Unknown_or_not_offered_types_are_unsupported(uint type)
    {
        using var rig = new BlkRig();
        rig.WriteSectors(0, new byte[512]);

        // Give the request a device-readable payload like the segment list of DISCARD / WRITE_ZEROES.
        ulong h = Header(rig, type, 0);
        ulong seg = rig.Buffer(16);
        BinaryPrimitives.WriteUInt64LittleEndian(rig.Ram.Span(seg, 8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(rig.Ram.Span(seg + 8, 4), 1);
        ulong status = StatusByte(rig);
        ushort head = rig.Driver.AddChain(new Buf(h, 16, false), new Buf(seg, 16, false), new Buf(status, 1, true));
        Assert.Equal([new UsedEntry(head, 1)], rig.Run());
        Assert.Equal(UNSUPP, rig.Ram.Span(status, 1)[0]);
        Assert.Equal(1UL, rig.Stats.Unsupported);
        Assert.Equal(0UL, rig.Stats.IoErrors);

        rig.WriteSectors(1, new byte[512]);
    }

    // ---- errors ----

    public static TheoryData<uint, ulong, uint> OutOfRange()
    {
        const ulong Sectors = BlkRig.DefaultCapacity / 512;
        return new TheoryData<uint, ulong, uint>
        {
            { IN, Sectors, 512 },                 // first sector past the end
            { OUT, Sectors, 512 },
            { IN, Sectors - 1, 1024 },            // starts inside, ends past the end
            { OUT, Sectors - 8, 4608 },
            { IN, Sectors + 1, 512 },
            { IN, 1UL << 55, 512 },               // sector * 512 == 2^64 wraps to 0
            { OUT, 1UL << 55, 512 },
            { OUT, (1UL << 55) + 1, 512 },        // wraps to 512
            { IN, ulong.MaxValue, 512 },
            { OUT, ulong.MaxValue, 512 },
            { OUT, ulong.MaxValue / 512, 512 },
            { IN, 0, 100 },                       // not a multiple of 512
            { OUT, 0, 513 },
            { IN, 0, 1000 },
        };
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_or_unaligned_is_ioerr_and_touches_nothing(uint type, ulong sector, uint bytes)
    {
        using var rig = new BlkRig();
        byte[] original = new byte[1024];
        original.AsSpan().Fill(0x11);
        rig.WriteSectors(0, original);

        BlkRequestLayout r = rig.Builder.Add(type, sector, bytes);
        rig.Builder.Data(r).Fill(0x77);
        UsedEntry u = rig.RunOne(r);
        Assert.Equal(IOERR, rig.Builder.Status(r));
        Assert.Equal(1u, u.Length);
        Assert.All(rig.Builder.Data(r).ToArray(), b => Assert.Equal(0x77, b)); // IN wrote no data
        Assert.Equal(original, rig.ReadSectors(0, 1024));                      // OUT wrote nothing (no wrap to 0)
        Assert.Equal(1UL, rig.Stats.IoErrors);

        // The queue continues.
        byte[] next = new byte[512];
        next.AsSpan().Fill(0x99);
        rig.WriteSectors(5, next);
        Assert.Equal(next, rig.ReadSectors(5, 512));
    }

    [Fact]
    public void Write_to_read_only_backend_is_ioerr_reads_and_flush_work()
    {
        using var rig = new BlkRig(readOnly: true);
        BlkRequestLayout w = rig.Builder.Add(OUT, 0, 512);
        rig.Builder.Data(w).Fill(0x55);
        Assert.Equal(1u, rig.RunOne(w).Length);
        Assert.Equal(IOERR, rig.Builder.Status(w));
        Assert.Equal(0UL, rig.Stats.Writes);

        Assert.All(rig.ReadSectors(0, 512), b => Assert.Equal(0, b));
        BlkRequestLayout f = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        rig.RunOne(f);
        Assert.Equal(OK, rig.Builder.Status(f));
        Assert.Equal(1UL, rig.Stats.IoErrors);
    }

    [Fact]
    public void Malformed_chain_with_a_reachable_status_byte_gets_ioerr()
    {
        using var rig = new BlkRig();
        ulong h = Header(rig, IN, 0);
        ulong data = rig.Buffer(512, 512);
        rig.Ram.Span(data, 512).Fill(0x33);
        ulong status = StatusByte(rig);
        ulong trailer = rig.Buffer(16);
        ushort[] ids = rig.Driver.Reserve(4);
        rig.Driver.WriteDescriptor(ids[0], h, 16, NEXT, ids[1]);
        rig.Driver.WriteDescriptor(ids[1], data, 512, NEXT | WRITE, ids[2]);
        rig.Driver.WriteDescriptor(ids[2], status, 1, NEXT | WRITE, ids[3]);
        rig.Driver.WriteDescriptor(ids[3], trailer, 16, 0, 0); // readable after writable
        rig.Driver.PushHead(ids[0]);
        BlkRequestLayout good = rig.Builder.Add(IN, 0, 512);

        List<UsedEntry> used = rig.Run();
        Assert.Equal([new UsedEntry(ids[0], 1), new UsedEntry(good.Head, 513)], used);
        Assert.Equal(IOERR, rig.Ram.Span(status, 1)[0]);
        Assert.All(rig.Ram.Span(data, 512).ToArray(), b => Assert.Equal(0x33, b)); // not executed
        Assert.Equal(OK, rig.Builder.Status(good));
        Assert.Equal(1UL, rig.Stats.Malformed);
        Assert.Equal(1UL, rig.Stats.IoErrors);
        Assert.Equal(1UL, rig.Stats.Reads);
        Assert.Equal(2UL, rig.Stats.Requests);
    }

    [Fact]
    public void A_loop_after_the_status_byte_still_gets_ioerr()
    {
        using var rig = new BlkRig(size: 8);
        ulong h = Header(rig, OUT, 0);
        ulong status = StatusByte(rig);
        ushort[] ids = rig.Driver.Reserve(2);
        rig.Driver.WriteDescriptor(ids[0], h, 16, NEXT, ids[1]);
        rig.Driver.WriteDescriptor(ids[1], status, 1, NEXT | WRITE, ids[1]); // self loop on the status
        rig.Driver.PushHead(ids[0]);
        List<UsedEntry> used = rig.Run();
        Assert.Single(used);
        Assert.Equal(ids[0], (ushort)used[0].Id);
        Assert.Equal(IOERR, rig.Ram.Span(status, 1)[0]);
        Assert.Equal(1UL, rig.Stats.Malformed);
        Assert.Equal(0UL, rig.Stats.Writes);
    }

    [Fact]
    public void Header_shorter_than_16_bytes_is_ioerr()
    {
        using var rig = new BlkRig();
        ulong h = Header(rig, IN, 0);
        ulong data = rig.Buffer(512, 512);
        ulong status = StatusByte(rig);
        ushort head = rig.Driver.AddChain(new Buf(h, 12, false), new Buf(data, 512, true), new Buf(status, 1, true));
        Assert.Equal([new UsedEntry(head, 1)], rig.Run());
        Assert.Equal(IOERR, rig.Ram.Span(status, 1)[0]);
        Assert.Equal(1UL, rig.Stats.Malformed);
    }

    [Fact]
    public void Chain_without_a_writable_byte_is_returned_with_length_0_and_nothing_written()
    {
        using var rig = new BlkRig();
        byte[] before = new byte[512];
        before.AsSpan().Fill(0x21);
        rig.WriteSectors(2, before);

        // An OUT with header and data but no status descriptor: must not be executed.
        ulong h = Header(rig, OUT, 2);
        ulong data = rig.Buffer(512, 512);
        rig.Ram.Span(data, 512).Fill(0x66);
        ushort head = rig.Driver.AddChain(new Buf(h, 16, false), new Buf(data, 512, false));

        // An IN whose only writable descriptor is unmapped: walk stops before any writable byte.
        ulong h2 = Header(rig, IN, 2);
        ushort[] ids = rig.Driver.Reserve(2);
        rig.Driver.WriteDescriptor(ids[0], h2, 16, NEXT, ids[1]);
        rig.Driver.WriteDescriptor(ids[1], rig.Ram.Base + rig.Ram.Size + 4096, 513, WRITE, 0);
        rig.Driver.PushHead(ids[0]);

        List<UsedEntry> used = rig.Run();
        Assert.Equal([new UsedEntry(head, 0), new UsedEntry(ids[0], 0)], used);
        Assert.Equal(before, rig.ReadSectors(2, 512));
        Assert.Equal(2UL, rig.Stats.Malformed);
        Assert.Equal(1UL, rig.Stats.Writes); // only the setup write
        Assert.Equal(0, rig.Driver.Outstanding);
    }

    [Fact]
    public void Chain_without_a_status_byte_is_not_counted_as_answered_ioerr()
    {
        // BlkQueueStats: IoErrors = "Requests answered VIRTIO_BLK_S_IOERR"; Malformed is "a subset of
        // IoErrors when they had a status byte". A chain with no status byte was answered nothing.
        using var rig = new BlkRig();
        ulong h = Header(rig, IN, 0);
        ushort head = rig.Driver.AddChain(new Buf(h, 16, false));
        Assert.Equal([new UsedEntry(head, 0)], rig.Run());
        Assert.Equal(1UL, rig.Stats.Malformed);
        Assert.Equal(0UL, rig.Stats.IoErrors);
    }

    [Fact]
    public void Buffer_in_read_only_guest_memory_for_a_read_is_malformed()
    {
        using var rig = new BlkRig();
        ulong ro = rig.Buffer(4096, 4096);
        rig.Ram.Protect(ro, 4096, readOnly: true);
        BlkRequestLayout r = rig.Builder.Add(IN, 0, 512, 1, ro);
        Assert.Equal(0u, rig.RunOne(r).Length); // walk stopped before the status: nothing to write
        Assert.Equal(0xff, rig.Builder.Status(r));
        Assert.Equal(1UL, rig.Stats.Malformed);
        Assert.Equal(0UL, rig.Stats.Reads);
    }

    // ---- Process ----

    [Fact]
    public void Process_honours_the_budget_and_publishes_what_it_completed()
    {
        using var rig = new BlkRig();
        var reqs = new List<BlkRequestLayout>();
        for (int i = 0; i < 5; i++)
        {
            reqs.Add(rig.Builder.Add(IN, (ulong)i, 512));
        }

        rig.Driver.Publish();
        ushort* usedIdx = (ushort*)(rig.Ram.Host(rig.Driver.UsedIova) + 2);

        Assert.Equal(0, rig.Queue.Process(0));
        Assert.Equal(0, *usedIdx);

        Assert.Equal(2, rig.Queue.Process(2));
        Assert.Equal(2, *usedIdx);
        Assert.Equal(OK, rig.Builder.Status(reqs[1]));
        Assert.Equal(0xff, rig.Builder.Status(reqs[2]));
        Assert.Equal(2, rig.Driver.TakeUsed().Count);

        Assert.Equal(2, rig.Queue.Process(2));
        Assert.Equal(4, *usedIdx);
        Assert.Equal(1, rig.Queue.Process(2));
        Assert.Equal(5, *usedIdx);
        Assert.Equal(0, rig.Queue.Process(2));
        Assert.Equal(5, *usedIdx);
        Assert.Equal(5, rig.Ring.NextUsedIndex);

        List<UsedEntry> rest = rig.Driver.TakeUsed();
        Assert.Equal([new UsedEntry(reqs[2].Head, 513), new UsedEntry(reqs[3].Head, 513), new UsedEntry(reqs[4].Head, 513)], rest);
        Assert.Equal(0, rig.Driver.Outstanding);
    }

    [Fact]
    public void Stats_count_what_happened()
    {
        using var rig = new BlkRig();
        rig.WriteSectors(0, new byte[4096]);                 // write 4096
        rig.WriteSectors(100, new byte[512]);                // write 512
        rig.ReadSectors(0, 1024);                            // read 1024
        rig.ReadSectors(8, 512);                             // read 512
        rig.ReadSectors(9, 512);                             // read 512
        rig.RunOne(rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0));
        rig.RunOne(rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, 20));
        rig.RunOne(rig.Builder.Add(IN, 1UL << 40, 512));     // out of range
        rig.RunOne(rig.Builder.Add(OUT, 0, 100));            // unaligned
        rig.RunOne(rig.Builder.Add(42, 0, 0));               // unsupported
        rig.RunOne(rig.Builder.Add(98u, 0, 0));

        BlkQueueStats s = rig.Stats;
        Assert.Equal(11UL, s.Requests);
        Assert.Equal(2UL, s.Writes);
        Assert.Equal(4608UL, s.BytesWritten);
        Assert.Equal(3UL, s.Reads);
        Assert.Equal(2048UL, s.BytesRead);
        Assert.Equal(1UL, s.Flushes);
        Assert.Equal(2UL, s.IoErrors);
        Assert.Equal(2UL, s.Unsupported);
        Assert.Equal(0UL, s.Malformed);
        Assert.Equal(1UL, s.GetIds);
        Assert.Equal(11UL, s.Started);
        Assert.Equal(0UL, s.InFlight);
        Assert.Equal(11UL, s.Latency.Count);
        Assert.True(s.Latency.Max >= s.Latency.Percentile(50));
    }
}
