using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Uring;
using Xunit;
using static VduseAot.Testing.BlkCodes;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Block.Tests;

/// <summary>FileBackend through BlkQueue and a real io_uring, on real files in a temp directory.</summary>
public sealed unsafe class FileBackendTests
{
    private const ulong MiB = 1UL << 20;

    private static byte[] FileBytes(string path, long offset, int length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var b = new byte[length];
        f.Position = offset;
        f.ReadExactly(b);
        return b;
    }

    private static void WriteFileBytes(string path, long offset, byte[] data)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        f.Position = offset;
        f.Write(data);
    }

    private static void SetFileLength(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        f.SetLength(length);
    }

    // ---- data path ----

    [Theory]
    [InlineData(1, 1, 0u)]
    [InlineData(3, 5, 0u)]
    [InlineData(3, 5, 4096u)]
    [InlineData(7, 2, 512u)]
    public void Write_then_read_round_trip_lands_in_the_file_at_sector_times_512(int writePieces, int readPieces, uint regionSize)
    {
        using var dir = new TempDir();
        string path = dir.PathOf("disk.img");
        using FileRig rig = FileRig.OpenFile(path, MiB);
        rig.Ram.RegionSize = regionSize; // after Start: the rings stay whole, the data splits
        const uint Bytes = 16384;
        const ulong Sector = 3;

        // Data starts 100 bytes before a 4 KiB boundary, so pieces cross regions at odd offsets.
        ulong wdata = rig.Buffer(Bytes + 8192, 4096) + 4096 - 100;
        rig.Fill(wdata, (int)Bytes, 1);
        BlkRequestLayout w = rig.Builder.Add(OUT, Sector, Bytes, writePieces, wdata);
        UsedEntry wu = rig.RunOne(w);
        Assert.Equal(OK, rig.Builder.Status(w));
        Assert.Equal(1u, wu.Length);

        byte[] file = File.ReadAllBytes(path);
        Assert.Equal((long)MiB, file.LongLength);
        Assert.True(file.AsSpan((int)(Sector * 512), (int)Bytes).SequenceEqual(rig.Ram.Span(wdata, (int)Bytes)));
        Assert.All(file.AsSpan(0, (int)(Sector * 512)).ToArray(), b => Assert.Equal(0, b));
        Assert.All(file.AsSpan((int)(Sector * 512) + (int)Bytes).ToArray(), b => Assert.Equal(0, b));

        ulong rdata = rig.Buffer(Bytes + 8192, 4096) + 4096 - 300;
        rig.Ram.Span(rdata, (int)Bytes).Fill(0xcc);
        BlkRequestLayout r = rig.Builder.Add(IN, Sector, Bytes, readPieces, rdata);
        UsedEntry ru = rig.RunOne(r);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.Equal(Bytes + 1, ru.Length);
        Assert.True(rig.Ram.Span(wdata, (int)Bytes).SequenceEqual(rig.Ram.Span(rdata, (int)Bytes)));

        // Sector addressing on the way in: sector 4 is byte 512 of what was written.
        Assert.True(rig.Ram.Span(wdata + 512, 512).SequenceEqual(rig.ReadSectors(Sector + 1, 512)));

        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal(1UL, rig.Stats.Writes);
        Assert.Equal(2UL, rig.Stats.Reads);
        Assert.Equal((ulong)Bytes, rig.Stats.BytesWritten);
        Assert.Equal(0UL, rig.Stats.IoErrors);
    }

    [Fact]
    public void Read_returns_bytes_put_in_the_file_by_other_means()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("disk.img");
        byte[] content = FileRig.Pattern(2 * (int)MiB, 9);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null);
        Assert.Equal(2 * MiB, rig.Backend.CapacityBytes);

        byte[] got = rig.ReadSectors(1023, 12288, pieces: 5);
        Assert.True(content.AsSpan(1023 * 512, 12288).SequenceEqual(got));

        // The last sector of the file is reachable; one past it is not.
        byte[] last = rig.ReadSectors((2 * MiB / 512) - 1, 512);
        Assert.True(content.AsSpan(content.Length - 512).SequenceEqual(last));
        BlkRequestLayout past = rig.Builder.Add(IN, 2 * MiB / 512, 512);
        Assert.Equal(1u, rig.RunOne(past).Length);
        Assert.Equal(IOERR, rig.Builder.Status(past));
    }

    [Fact]
    public void Sixty_four_random_4k_writes_then_reads_in_flight_at_once_complete_with_correct_data()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("disk.img");
        const int Count = 64;
        const uint Bytes = 4096;
        using FileRig rig = FileRig.OpenFile(path, 8 * MiB, queueSize: 512);
        var random = new Random(1234);
        int[] blocks = Enumerable.Range(0, (int)(8 * MiB / Bytes)).OrderBy(_ => random.Next()).Take(Count).ToArray();

        var writes = new BlkRequestLayout[Count];
        for (int i = 0; i < Count; i++)
        {
            writes[i] = rig.Builder.Add(OUT, (ulong)blocks[i] * 8, Bytes, pieces: 1 + (i % 4));
            rig.Fill(writes[i].DataIova, (int)Bytes, 100 + i);
        }

        List<UsedEntry> used = rig.RunUntilIdle();
        Assert.Equal(Count, rig.PeakInFlight); // all started before the first completion was reaped
        Assert.Equal(writes.Select(w => (uint)w.Head).Order(), used.Select(u => u.Id).Order());
        Assert.All(used, u => Assert.Equal(1u, u.Length));
        Assert.All(writes, w => Assert.Equal(OK, rig.Builder.Status(w)));

        byte[] file = File.ReadAllBytes(path);
        for (int i = 0; i < Count; i++)
        {
            Assert.True(file.AsSpan(blocks[i] * (int)Bytes, (int)Bytes).SequenceEqual(FileRig.Pattern((int)Bytes, 100 + i)), "block " + blocks[i]);
        }

        // Read them back in another order, all in flight together.
        int[] order = Enumerable.Range(0, Count).OrderBy(_ => random.Next()).ToArray();
        var reads = new BlkRequestLayout[Count];
        foreach (int i in order)
        {
            reads[i] = rig.Builder.Add(IN, (ulong)blocks[i] * 8, Bytes, pieces: 1 + ((i + 1) % 3));
            rig.Builder.Data(reads[i]).Fill(0xee);
        }

        used = rig.RunUntilIdle();
        Assert.Equal(reads.Select(r => (uint)r.Head).Order(), used.Select(u => u.Id).Order());
        Assert.All(used, u => Assert.Equal(Bytes + 1, u.Length));
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(OK, rig.Builder.Status(reads[i]));
            Assert.True(rig.Builder.Data(reads[i]).SequenceEqual(FileRig.Pattern((int)Bytes, 100 + i)), "read of block " + blocks[i]);
        }

        Assert.Equal((ulong)Count, rig.Stats.Writes);
        Assert.Equal((ulong)Count, rig.Stats.Reads);
        Assert.Equal(0UL, rig.Stats.IoErrors);
    }

    [Fact]
    public void Requests_processed_a_few_at_a_time_over_many_rounds_all_complete()
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), MiB, queueSize: 16);
        const int Rounds = 10;
        for (int round = 0; round < Rounds; round++)
        {
            // 5 chains of 3 descriptors fit a ring of 16; popped two at a time, the slots are reused each round.
            var reqs = new BlkRequestLayout[5];
            for (int i = 0; i < reqs.Length; i++)
            {
                reqs[i] = rig.Builder.Add(OUT, (ulong)((round * 5) + i) * 8, 4096);
                rig.Fill(reqs[i].DataIova, 4096, round * 5 + i);
            }

            Assert.Equal(reqs.Length, rig.RunUntilIdle(budget: 2).Count);
            Assert.All(reqs, r => Assert.Equal(OK, rig.Builder.Status(r)));
        }

        for (int k = 0; k < Rounds * 5; k++)
        {
            Assert.True(FileRig.Pattern(4096, k).AsSpan().SequenceEqual(rig.ReadSectors((ulong)k * 8, 4096)));
        }
    }

    [Fact]
    public void Flush_is_ok_and_counted()
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), MiB);
        rig.WriteSectors(0, FileRig.Pattern(4096, 1));
        Assert.Equal(OK, rig.Flush());
        Assert.Equal(1UL, rig.Stats.Flushes);

        // A flush in flight together with writes.
        BlkRequestLayout w1 = rig.Builder.Add(OUT, 8, 4096);
        BlkRequestLayout f = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        BlkRequestLayout w2 = rig.Builder.Add(OUT, 16, 4096);
        Assert.Equal(3, rig.RunUntilIdle().Count);
        Assert.Equal(OK, rig.Builder.Status(w1));
        Assert.Equal(OK, rig.Builder.Status(f));
        Assert.Equal(OK, rig.Builder.Status(w2));
        Assert.Equal(2UL, rig.Stats.Flushes);
    }

    [Fact]
    public void Get_id_and_unknown_types_are_answered_without_the_kernel()
    {
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), MiB);
        BlkRequestLayout id = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_GET_ID, 0, 20);
        Assert.Equal(21u, rig.RunOne(id).Length);
        Assert.Equal(OK, rig.Builder.Status(id));
        Assert.Equal("vduse-file-test", System.Text.Encoding.ASCII.GetString(rig.Builder.Data(id)).TrimEnd('\0'));

        BlkRequestLayout odd = rig.Builder.Add(99, 0, 0);
        rig.RunOne(odd);
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_UNSUPP, rig.Builder.Status(odd));

        // Nothing reached the ring: no request was ever in flight after a pass, and the kernel was
        // never entered (Submit with nothing prepared makes no syscall).
        Assert.Equal(0, rig.PeakInFlight);
        Assert.Equal(0UL, rig.Uring.EnterCalls);
    }

    // ---- FileBackend.Open ----

    [Fact]
    public void Open_creates_a_missing_file_with_the_given_size()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("new.img");
        using FileBackend b = FileBackend.Open(path, 3 * MiB, direct: false, readOnly: false, 512, out string? reason);
        Assert.Null(reason);
        Assert.True(File.Exists(path));
        Assert.Equal(3 * (long)MiB, new FileInfo(path).Length);
        Assert.Equal(3 * MiB, b.CapacityBytes);
        Assert.False(b.ReadOnly);
        Assert.False(b.Direct);
        Assert.False(b.IsBlockDevice);
        Assert.True(b.Fd >= 0);
        Assert.Equal(BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes, b.Features);
        Assert.Contains(path, b.Describe());
        Assert.Contains("3 MiB", b.Describe());
    }

    [Fact]
    public void Open_extends_a_shorter_file_and_keeps_its_contents()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("short.img");
        byte[] head = FileRig.Pattern(8192, 3);
        File.WriteAllBytes(path, head);
        using FileRig rig = FileRig.OpenFile(path, 2 * MiB);
        Assert.Equal(2 * (long)MiB, new FileInfo(path).Length);
        Assert.Equal(2 * MiB, rig.Backend.CapacityBytes);
        Assert.True(head.AsSpan().SequenceEqual(rig.ReadSectors(0, 8192)));
        Assert.All(rig.ReadSectors(16, 4096), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Open_with_a_size_below_the_file_length_serves_that_size_and_does_not_truncate()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("long.img");
        File.WriteAllBytes(path, FileRig.Pattern(2 * (int)MiB, 4));
        using FileRig rig = FileRig.OpenFile(path, MiB);
        Assert.Equal(MiB, rig.Backend.CapacityBytes);
        Assert.Equal(2 * (long)MiB, new FileInfo(path).Length);
        BlkRequestLayout past = rig.Builder.Add(IN, MiB / 512, 512);
        rig.RunOne(past);
        Assert.Equal(IOERR, rig.Builder.Status(past));
    }

    [Fact]
    public void Open_without_a_size_takes_the_file_length()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("sized.img");
        File.WriteAllBytes(path, new byte[5 * 4096]);
        using FileBackend b = FileBackend.Open(path, null, direct: false, readOnly: false, 4096, out string? reason);
        Assert.Null(reason);
        Assert.Equal(5UL * 4096, b.CapacityBytes);
        Assert.Equal(5L * 4096, new FileInfo(path).Length);
    }

    [Fact]
    public void Open_of_a_missing_file_without_a_size_says_cannot_open_and_creates_nothing()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("missing.img");
        BackendException e = Assert.Throws<BackendException>(() => FileBackend.Open(path, null, false, false, 512, out _));
        Assert.Contains("cannot open", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("--size", e.Message);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(4608L, null, 4096u)]  // file length not a multiple of 4096
    [InlineData(1000L, null, 512u)]   // not a multiple of 512
    [InlineData(0L, null, 512u)]      // empty
    [InlineData(-1L, 1000L, 512u)]    // --size not a multiple of 512 (file created)
    [InlineData(-1L, 6144L, 4096u)]   // --size not a multiple of 4096
    [InlineData(8192L, 4608L, 4096u)] // --size below the file length, not a multiple
    public void Open_rejects_sizes_that_are_not_a_multiple_of_the_logical_block_size(long fileLength, long? size, uint lbs)
    {
        using var dir = new TempDir();
        string path = dir.PathOf("odd.img");
        if (fileLength >= 0)
        {
            File.WriteAllBytes(path, new byte[fileLength]);
        }

        BackendException e = Assert.Throws<BackendException>(() => FileBackend.Open(path, (ulong?)size, false, false, lbs, out _));
        Assert.Contains("multiple of the logical block size", e.Message);
    }

    [Fact]
    public void Open_read_only_refuses_writes_and_serves_reads_and_flushes()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("ro.img");
        byte[] content = FileRig.Pattern((int)MiB, 5);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null, readOnly: true);
        Assert.True(rig.Backend.ReadOnly);
        Assert.Contains("read-only", rig.Backend.Describe());

        BlkRequestLayout w = rig.Builder.Add(OUT, 0, 4096);
        rig.Fill(w.DataIova, 4096, 77);
        Assert.Equal(1u, rig.RunOne(w).Length);
        Assert.Equal(IOERR, rig.Builder.Status(w));
        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(path)));

        Assert.True(content.AsSpan(4096, 8192).SequenceEqual(rig.ReadSectors(8, 8192, pieces: 3)));
        Assert.Equal(OK, rig.Flush());
        Assert.Equal(1UL, rig.Stats.IoErrors);
    }

    [Fact]
    public void Open_read_only_with_a_size_above_the_file_length_fails()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("ro-short.img");
        File.WriteAllBytes(path, new byte[4096]);
        BackendException e = Assert.Throws<BackendException>(() => FileBackend.Open(path, MiB, false, readOnly: true, 512, out _));
        Assert.Contains("read-only", e.Message);
        Assert.Equal(4096L, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Open_of_a_directory_fails(bool readOnly)
    {
        using var dir = new TempDir();
        string path = dir.PathOf("subdir");
        Directory.CreateDirectory(path);
        BackendException e = Assert.Throws<BackendException>(() => FileBackend.Open(path, null, false, readOnly, 512, out _));
        Assert.Contains(path, e.Message);
        BackendException e2 = Assert.Throws<BackendException>(() => FileBackend.Open(path, MiB, false, readOnly, 512, out _));
        Assert.Contains(path, e2.Message);
    }

    [Theory]
    [InlineData(512u)]
    [InlineData(4096u)]
    public void Direct_io_round_trip_with_4k_aligned_guest_buffers(uint lbs)
    {
        using var dir = new TempDir();
        string path = dir.PathOf("direct.img");
        using FileRig rig = FileRig.OpenFile(path, 4 * MiB, direct: true, logicalBlockSize: lbs);
        Assert.True(rig.File.Direct);
        Assert.Contains("direct", rig.Backend.Describe());
        const uint Bytes = 16384;
        const ulong Sector = 16;

        ulong wdata = rig.Buffer(Bytes, 4096);
        rig.Fill(wdata, (int)Bytes, 21);
        BlkRequestLayout w = rig.Builder.Add(OUT, Sector, Bytes, pieces: 4, dataIova: wdata);
        Assert.Equal(1u, rig.RunOne(w).Length);
        Assert.Equal(OK, rig.Builder.Status(w));
        Assert.Equal(OK, rig.Flush());
        Assert.True(FileBytes(path, (long)Sector * 512, (int)Bytes).AsSpan().SequenceEqual(rig.Ram.Span(wdata, (int)Bytes)));

        // The file changes behind the page cache's back only through O_DIRECT: read what another writer put there.
        byte[] other = FileRig.Pattern(8192, 22);
        WriteFileBytes(path, 64 * 1024, other);
        ulong rdata = rig.Buffer(Bytes, 4096);
        BlkRequestLayout r = rig.Builder.Add(IN, Sector, Bytes, pieces: 2, dataIova: rdata);
        Assert.Equal(Bytes + 1, rig.RunOne(r).Length);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.True(rig.Ram.Span(wdata, (int)Bytes).SequenceEqual(rig.Ram.Span(rdata, (int)Bytes)));

        ulong odata = rig.Buffer(8192, 4096);
        BlkRequestLayout o = rig.Builder.Add(IN, 128, 8192, dataIova: odata);
        rig.RunOne(o);
        Assert.Equal(OK, rig.Builder.Status(o));
        Assert.True(other.AsSpan().SequenceEqual(rig.Ram.Span(odata, 8192)));
    }

    // ---- errors ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_kernel_error_fails_only_that_request_and_the_next_one_works(bool direct)
    {
        using var dir = new TempDir();
        string path = dir.PathOf("fault.img");
        byte[] content = FileRig.Pattern((int)MiB, 12);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null, direct: direct);

        // Guest pages the kernel cannot copy into (IN) or out of (OUT): READV/WRITEV fail with -EFAULT.
        ulong noWrite = rig.Buffer(4096, 4096);
        ulong noAccess = rig.Buffer(4096, 4096);
        ulong good = rig.Buffer(4096, 4096);
        Assert.Equal(0, LibC.mprotect(rig.Ram.Host(noWrite), 4096, LibC.PROT_READ));
        Assert.Equal(0, LibC.mprotect(rig.Ram.Host(noAccess), 4096, LibC.PROT_NONE));
        try
        {
            BlkRequestLayout badIn = rig.Builder.Add(IN, 0, 4096, dataIova: noWrite);
            BlkRequestLayout goodIn = rig.Builder.Add(IN, 8, 4096, dataIova: good);
            BlkRequestLayout badOut = rig.Builder.Add(OUT, 16, 4096, dataIova: noAccess);
            List<UsedEntry> used = rig.RunUntilIdle();
            Assert.Equal(3, used.Count);
            Assert.Equal(IOERR, rig.Builder.Status(badIn));
            Assert.Equal(1u, used.Single(u => u.Id == badIn.Head).Length);
            Assert.Equal(IOERR, rig.Builder.Status(badOut));
            Assert.Equal(1u, used.Single(u => u.Id == badOut.Head).Length);
            Assert.Equal(OK, rig.Builder.Status(goodIn));
            Assert.Equal(4097u, used.Single(u => u.Id == goodIn.Head).Length);
            Assert.True(content.AsSpan(4096, 4096).SequenceEqual(rig.Ram.Span(good, 4096)));
            Assert.Equal(2UL, rig.Stats.IoErrors);
        }
        finally
        {
            Assert.Equal(0, LibC.mprotect(rig.Ram.Host(noWrite), 4096, LibC.PROT_READ | LibC.PROT_WRITE));
            Assert.Equal(0, LibC.mprotect(rig.Ram.Host(noAccess), 4096, LibC.PROT_READ | LibC.PROT_WRITE));
        }

        // The same slots serve the next requests normally.
        rig.WriteSectors(16, FileRig.Pattern(4096, 13));
        Assert.True(FileRig.Pattern(4096, 13).AsSpan().SequenceEqual(FileBytes(path, 16 * 512, 4096)));
        Assert.True(content.AsSpan(0, 4096).SequenceEqual(rig.ReadSectors(0, 4096)));
    }

    [Fact]
    public void Read_past_the_end_of_a_file_truncated_after_open_is_ioerr_and_the_next_read_works()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("shrunk.img");
        byte[] content = FileRig.Pattern((int)MiB, 6);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null);
        SetFileLength(path, 64 * 1024);
        Assert.Equal(MiB, rig.Backend.CapacityBytes); // capacity is fixed at open

        BlkRequestLayout past = rig.Builder.Add(IN, 256, 4096); // 128 KiB: READV returns 0
        rig.Builder.Data(past).Fill(0xee);
        Assert.Equal(1u, rig.RunOne(past).Length);
        Assert.Equal(IOERR, rig.Builder.Status(past));
        Assert.Equal(1UL, rig.Stats.IoErrors);

        Assert.True(content.AsSpan(0, 8192).SequenceEqual(rig.ReadSectors(0, 8192)));
        Assert.Equal(1UL, rig.Stats.IoErrors);

        // A write past the end of the shrunken file extends it again.
        rig.WriteSectors(512, FileRig.Pattern(4096, 7));
        Assert.True(FileRig.Pattern(4096, 7).AsSpan().SequenceEqual(rig.ReadSectors(512, 4096)));
    }

    [Fact]
    public void Read_crossing_the_truncated_end_transfers_the_short_part_then_fails_with_ioerr()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("shrunk.img");
        byte[] content = FileRig.Pattern((int)MiB, 8);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null);
        const int End = (64 * 1024) + 1000;
        SetFileLength(path, End);

        // 8 KiB from 64 KiB in 3 pieces: the first READV stops 1000 bytes in (inside piece 0), the retry gets 0.
        BlkRequestLayout r = rig.Builder.Add(IN, 128, 8192, pieces: 3);
        rig.Builder.Data(r).Fill(0xee);
        Assert.Equal(1u, rig.RunOne(r).Length);
        Assert.Equal(IOERR, rig.Builder.Status(r));
        Assert.True(content.AsSpan(64 * 1024, 1000).SequenceEqual(rig.Builder.Data(r)[..1000]));
        Assert.All(rig.Builder.Data(r)[1000..].ToArray(), b => Assert.Equal(0xee, b));

        // The slot is clean for the next request.
        Assert.True(content.AsSpan(60 * 1024, 4096).SequenceEqual(rig.ReadSectors(120, 4096, pieces: 3)));
    }

    [Fact]
    public void Short_read_is_resubmitted_for_the_rest_and_completes_ok()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("grow.img");
        byte[] content = FileRig.Pattern((int)MiB, 10);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null);
        const int Start = 64 * 1024;
        const int End = Start + 1000;
        SetFileLength(path, End);

        BlkRequestLayout r = rig.Builder.Add(IN, Start / 512, 8192, pieces: 3);
        Assert.Equal(1, rig.StartAvailable());
        Assert.Equal(1, rig.Queue.InFlight);

        io_uring_cqe first = rig.WaitOneCqe();
        Assert.Equal(1000, first.res); // short: stopped at the end of the file, inside the first iovec

        // The file grows back before the completion is handled: the retry reads the rest.
        WriteFileBytes(path, End, content[End..]);
        rig.Complete(first);
        Assert.Equal(1, rig.Queue.InFlight);
        Assert.Equal(0xff, rig.Builder.Status(r));

        io_uring_cqe second = rig.WaitOneCqe();
        Assert.Equal(8192 - 1000, second.res);
        Assert.Equal(first.user_data, second.user_data);
        rig.Complete(second);
        Assert.Equal(0, rig.Queue.InFlight);

        List<UsedEntry> used = rig.Driver.TakeUsed();
        Assert.Equal([new UsedEntry(r.Head, 8193)], used);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.True(content.AsSpan(Start, 8192).SequenceEqual(rig.Builder.Data(r)));
    }

    [Fact]
    public void A_failing_request_among_many_in_flight_fails_alone()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("mixed.img");
        byte[] content = FileRig.Pattern((int)MiB, 11);
        File.WriteAllBytes(path, content);
        using FileRig rig = FileRig.OpenFile(path, null);
        SetFileLength(path, 256 * 1024);

        var reqs = new List<(BlkRequestLayout R, bool Fails)>();
        for (int i = 0; i < 16; i++)
        {
            bool fails = i % 3 == 1;
            ulong sector = fails ? (ulong)(1024 + (i * 8)) : (ulong)(i * 8);
            reqs.Add((rig.Builder.Add(IN, sector, 4096, pieces: 2), fails));
        }

        List<UsedEntry> used = rig.RunUntilIdle();
        Assert.Equal(16, used.Count);
        for (int i = 0; i < reqs.Count; i++)
        {
            (BlkRequestLayout r, bool fails) = reqs[i];
            UsedEntry u = used.Single(e => e.Id == r.Head);
            if (fails)
            {
                Assert.Equal(IOERR, rig.Builder.Status(r));
                Assert.Equal(1u, u.Length);
            }
            else
            {
                Assert.Equal(OK, rig.Builder.Status(r));
                Assert.Equal(4097u, u.Length);
                Assert.True(content.AsSpan(i * 4096, 4096).SequenceEqual(rig.Builder.Data(r)));
            }
        }

        Assert.Equal((ulong)reqs.Count(x => x.Fails), rig.Stats.IoErrors);
    }

    [Fact]
    public void The_file_backend_needs_an_io_uring()
    {
        using var dir = new TempDir();
        using FileBackend b = FileBackend.Open(dir.PathOf("x.img"), MiB, false, false, 512, out _);
        Assert.Throws<ArgumentNullException>(() => b.OpenQueue(null));
    }

    // ---- suspected defects (see the report) ----

    [Theory]
    [InlineData(IN)]
    [InlineData(OUT)]
    public void Zero_length_read_or_write_completes_ok_as_on_the_ram_backend(uint type)
    {
        using var ram = new BlkRig();
        BlkRequestLayout rr = ram.Builder.Add(type, 8, 0);
        Assert.Equal(1u, ram.RunOne(rr).Length);
        Assert.Equal(OK, ram.Builder.Status(rr));

        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), MiB);
        BlkRequestLayout r = rig.Builder.Add(type, 8, 0);
        Assert.Equal(1u, rig.RunOne(r).Length);
        Assert.Equal(OK, rig.Builder.Status(r));
    }

    [Fact]
    public void Request_at_seg_max_with_every_descriptor_split_completes_and_one_beyond_fails_alone()
    {
        // --queue-size 1024 announces seg_max 254; IOTLB region splits can double the segments, and
        // the slots are sized for that. A driver that sends more than seg_max gets IOERR for that
        // request only.
        using var dir = new TempDir();
        using FileRig rig = FileRig.OpenFile(dir.PathOf("disk.img"), 4 * MiB, queueSize: 1024);
        rig.Ram.RegionSize = 2048;
        int pieces = (int)BlkLimits.SegMax(1024);
        uint bytes = (uint)pieces * 2048;

        // Every 2 KiB descriptor starts in the middle of a 2 KiB region: two segments each.
        ulong wdata = rig.Buffer(bytes + 4096, 4096) + 1024;
        rig.Fill(wdata, (int)bytes, 31);
        BlkRequestLayout w = rig.Builder.Add(OUT, 0, bytes, pieces, wdata);
        rig.RunOne(w);
        Assert.Equal(OK, rig.Builder.Status(w));

        ulong rdata = rig.Buffer(bytes + 4096, 4096) + 1024;
        BlkRequestLayout r = rig.Builder.Add(IN, 0, bytes, pieces, rdata);
        Assert.Equal(bytes + 1, rig.RunOne(r).Length);
        Assert.Equal(OK, rig.Builder.Status(r));
        Assert.True(rig.Ram.Span(wdata, (int)bytes).SequenceEqual(rig.Ram.Span(rdata, (int)bytes)));

        // Past the slot's segments the walk stops before the status descriptor: IOERR goes to the last
        // writable byte reached (used length 1, no stale length from the slot's previous request), the
        // real status byte is untouched, the request counts as malformed and the queue carries on.
        int beyond = BlkLimits.SlotSegments(1024) / 2 + 8;
        BlkRequestLayout big = rig.Builder.Add(IN, 0, (uint)beyond * 2048, beyond, rig.Buffer((uint)beyond * 2048 + 4096, 4096) + 1024);
        rig.Builder.Data(big)[0] = 0x5a;
        Assert.Equal(1u, rig.RunOne(big).Length);
        Assert.Equal(0xff, rig.Builder.Status(big)); // the builder's preset: never written
        Assert.Equal(0x5a, rig.Builder.Data(big)[0]);
        Assert.Equal(1UL, rig.Stats.Malformed);
        Assert.True(rig.Ram.Span(wdata, 4096).SequenceEqual(rig.ReadSectors(0, 4096)));
    }
}
