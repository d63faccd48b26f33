using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>Rounds of random writes (one at a time: overlapping ones land in order) then random reads all in flight together, each checked against what was written.</summary>
internal static class ReadBack
{
    /// <summary>
    /// <paramref name="rounds"/> rounds of 16 writes and 32 reads of up to <paramref name="maxSectors"/>
    /// sectors in 1-3 pieces; with <paramref name="holes"/> some writes are half zeroes (a server may
    /// answer reads of them with holes).
    /// </summary>
    public static void Check(BackendRig rig, ulong capacityBytes, int seed, int rounds, int maxSectors, bool holes)
    {
        var rng = new Random(seed);
        var expected = new byte[capacityBytes];
        for (int round = 0; round < rounds; round++)
        {
            var writes = new List<BlkRequestLayout>();
            for (int i = 0; i < 16; i++)
            {
                ulong sector = (ulong)rng.Next(0, 8000);
                byte[] data = new byte[512 * rng.Next(1, maxSectors + 1)];
                rng.NextBytes(data);
                if (holes && rng.Next(4) == 0)
                {
                    Array.Clear(data, 0, data.Length / 2);
                }

                data.CopyTo(expected, (int)(sector * 512));
                writes.Add(rig.Builder.AddReadable(VirtioBlk.VIRTIO_BLK_T_OUT, sector, data, pieces: rng.Next(1, 4)));
                rig.RunUntilIdle();
            }

            Assert.All(writes, w => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(w)));
            var reads = new List<(BlkRequestLayout Request, ulong Sector)>();
            for (int i = 0; i < 32; i++)
            {
                ulong sector = (ulong)rng.Next(0, 8100);
                reads.Add((rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, sector, 512u * (uint)rng.Next(1, maxSectors + 1), pieces: rng.Next(1, 4)), sector));
            }

            List<UsedEntry> used = rig.RunUntilIdle();
            Assert.Equal(reads.Count, used.Count);
            foreach ((BlkRequestLayout r, ulong sector) in reads)
            {
                Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r));
                Assert.True(expected.AsSpan((int)(sector * 512), (int)r.DataLength).SequenceEqual(rig.Builder.Data(r)));
                Assert.Equal(r.DataLength + 1, used.Single(u => u.Id == r.Head).Length);
            }
        }
    }

    /// <summary>
    /// 32 writes of 8 KiB (256 KiB of random bytes from <paramref name="seed"/>) all in flight
    /// together: each completes once, with OK, and <paramref name="disk"/> (the server's) ends up
    /// holding them.
    /// </summary>
    public static void WritesLand(BackendRig rig, byte[] disk, int seed)
    {
        byte[] data = new byte[256 * 1024];
        new Random(seed).NextBytes(data);
        var writes = new List<BlkRequestLayout>();
        for (int i = 0; i < 32; i++)
        {
            writes.Add(rig.Builder.AddReadable(VirtioBlk.VIRTIO_BLK_T_OUT, (ulong)i * 16, data.AsSpan(i * 8192, 8192)));
        }

        Assert.Equal(32, rig.RunUntilIdle().Count);
        Assert.All(writes, w => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(w)));
        Assert.True(disk.AsSpan(0, data.Length).SequenceEqual(data));
    }

    /// <summary>A 64 KiB write at sector 16 in 3 pieces, then its read in 5 pieces: both OK, the read returns what was written.</summary>
    public static void LargeRoundTrip(BackendRig rig)
    {
        byte[] data = new byte[64 * 1024];
        new Random(3).NextBytes(data);
        BlkRequestLayout w = rig.Builder.AddReadable(VirtioBlk.VIRTIO_BLK_T_OUT, 16, data, pieces: 3);
        rig.RunUntilIdle();
        BlkRequestLayout r = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 16, (uint)data.Length, pieces: 5);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(w));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r));
        Assert.True(data.AsSpan().SequenceEqual(rig.Builder.Data(r)));
    }

    /// <summary>
    /// Two 4 KiB reads, at sector 8 (which the server fails) and 16: only the first ends with IOERR,
    /// and the one connection stays up with one server error counted.
    /// </summary>
    public static void OnlyTheFailedReadFails(BackendRig rig, IConnectionStatusSource backend, string socketPath)
    {
        BlkRequestLayout bad = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 8, 4096);
        BlkRequestLayout good = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 16, 4096);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_IOERR, rig.Builder.Status(bad));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(good));
        ConnectionStatus c = Assert.Single(backend.Connections());
        Assert.Equal(new ConnectionStatus("queue 0", "unix socket " + socketPath, "connected", 0, 0, 1, null), c);
    }
}
