using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Network.Nbd;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Network.Tests;

public sealed class NbdBackendTests
{
    public static TheoryData<bool, bool> Modes() => new()
    {
        { false, false }, // simple replies
        { true, false },  // structured replies
        { true, true },   // extended headers
    };

    private static FakeNbdBehaviour Mode(bool structured, bool extended) =>
        new() { OfferStructuredReplies = structured, OfferExtendedHeaders = extended };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Handshake_learns_the_export(bool structured, bool extended)
    {
        using var rig = new NbdRig(behaviour: Mode(structured, extended));
        Assert.Equal(4UL << 20, rig.Backend.CapacityBytes);
        Assert.Equal(structured, rig.Backend.Export.StructuredReplies);
        Assert.Equal(extended, rig.Backend.Export.ExtendedHeaders);
        Assert.Equal(BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes, rig.Backend.Features);
        Assert.False(rig.Backend.ReadOnly);
    }

    [Fact]
    public void The_servers_block_sizes_shape_the_config_space()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { MinimumBlock = 512, PreferredBlock = 65536, MaxPayload = 256 << 10 });
        Assert.Equal(new BlkTopology { PhysicalBlockBytes = 512, OptimalIoBytes = 65536, MaxTransferBytes = 256 << 10, DiscardGranularityBytes = 65536 },
            rig.Backend.Topology);
        BlkDeviceConfig config = BlkDeviceConfig.For(new BlkDeviceOptions { Queues = 1 }, rig.Backend);
        virtio_blk_config c = BlkConfigSpace.Build(config, rig.Backend.CapacityBytes);
        Assert.Equal(0, c.physical_block_exp); // the minimum is the logical block: no read-modify-write below it
        Assert.Equal(1, c.min_io_size);
        Assert.Equal(128u, c.opt_io_size);
        Assert.Equal(256u << 10, c.size_max);
        Assert.Equal(128u, c.discard_sector_alignment);
    }

    [Fact]
    public void A_missing_export_quotes_the_server()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;
        using var server = new FakeNbdServer(System.IO.Path.Combine(dir, "s.sock"), 1 << 20);
        NbdUri uri = NbdUri.TryParse("nbd+unix:///other?socket=" + server.SocketPath, out _)!;
        var e = Assert.Throws<BackendException>(() => NbdBackend.Open(uri, false, 512, 1, 256, 30, _ => { }, out _));
        Assert.Contains("refused export 'other': NBD_REP_ERR_UNKNOWN: no export named 'other'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_names_the_address_and_errno()
    {
        NbdUri uri = NbdUri.TryParse("nbd+unix:///x?socket=/nonexistent/nbd.sock", out _)!;
        var e = Assert.Throws<BackendException>(() => NbdBackend.Open(uri, false, 512, 1, 256, 30, _ => { }, out _));
        Assert.Equal("cannot connect to unix socket /nonexistent/nbd.sock: ENOENT (No such file or directory)", e.Message);
    }

    [Fact]
    public void Several_queues_share_one_connection_without_multi_conn()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;
        using var server = new FakeNbdServer(System.IO.Path.Combine(dir, "s.sock"), 1 << 20,
            new FakeNbdBehaviour { Flags = NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_SEND_FLUSH });
        using (NbdBackend two = NbdBackend.Open(server.Uri, false, 512, 2, 256, 30, _ => { }, out _))
        {
            Assert.True(two.SharedConnection);
            Assert.Contains("one connection for 2 queues", two.Describe(), StringComparison.Ordinal);
        }

        using NbdBackend one = NbdBackend.Open(server.Uri, false, 512, 1, 256, 30, _ => { }, out _);
        Assert.False(one.SharedConnection);
        Assert.Equal(BlkBackendFeatures.None, one.Features);
        var e = Assert.Throws<BackendException>(() => NbdBackend.Open(server.Uri, false, 512, 16, 32768, 30, _ => { }, out _));
        Assert.Equal("16 queues of 32768 entries are more than the 65536 requests one NBD connection can tell apart: lower --queues or --queue-size", e.Message);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Writes_read_back_through_reordered_and_chunked_replies(bool structured, bool extended)
    {
        using var rig = new NbdRig(behaviour: Mode(structured, extended));
        ReadBack.Check(rig, rig.Backend.CapacityBytes, seed: 5, rounds: 5, maxSectors: 16, holes: true);
        Assert.Equal(1, rig.Server.Connections - 1); // the probe, then the queue's own
    }

    [Fact]
    public void Flush_trim_and_write_zeroes_reach_the_server()
    {
        using var rig = new NbdRig();
        rig.Server.Disk.AsSpan().Fill(0xab);
        rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 0, 4096); // leaves a length in the slot the flush reuses
        rig.RunUntilIdle();
        BlkRequestLayout flush = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        BlkRequestLayout zero = rig.Builder.AddZeroing(VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES, [(8, 8, 0), (100, 4, 1)]);
        BlkRequestLayout trim = rig.Builder.AddZeroing(VirtioBlk.VIRTIO_BLK_T_DISCARD, [(200, 16, 0)]);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(flush));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(zero));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(trim));
        Assert.Equal(1, rig.Server.Flushes);
        Assert.True(rig.Server.Disk.AsSpan(8 * 512, 8 * 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(rig.Server.Disk.AsSpan(100 * 512, 4 * 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(rig.Server.Disk.AsSpan(200 * 512, 16 * 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(0xab, rig.Server.Disk[16 * 512]);
    }

    [Fact]
    public void Large_writes_go_by_reference_and_land_whole()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { ReorderWindow = 4 });
        ReadBack.Check(rig, rig.Backend.CapacityBytes, seed: 6, rounds: 3, maxSectors: 128, holes: false); // first: it reads against a disk that starts zeroed
        ReadBack.WritesLand(rig, rig.Server.Disk, seed: 5); // 32 writes of 8 KiB at once: one batch of 256 KiB
        ReadBack.LargeRoundTrip(rig);
        Assert.True(rig.Backend.SplicedSends >= 2, rig.Backend.SplicedSends + " spliced sends");
    }

    [Fact]
    public void Requests_larger_than_the_maximum_payload_go_in_pieces()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { MaxPayload = 4096 });
        ReadBack.LargeRoundTrip(rig);
        Assert.True(rig.Server.Requests >= 32);
    }

    [Fact]
    public void A_server_error_fails_that_request_only()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { FailReadsAt = 4096 });
        ReadBack.OnlyTheFailedReadFails(rig, rig.Backend, rig.Server.SocketPath);
        Assert.Equal(2, rig.Server.Connections); // no reconnection for an error reply
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public void A_dropped_connection_resends_everything_not_answered(int dropAfter)
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { DropAfter = dropAfter, DroppingConnections = 4 });
        ReadBack.WritesLand(rig, rig.Server.Disk, dropAfter);
        Assert.True(rig.Server.Connections >= 3, rig.Server.Connections + " connections");
        Assert.True(rig.Backend.Reconnects >= 2);
        ConnectionStatus c = Assert.Single(rig.Backend.Connections());
        Assert.Equal(rig.Backend.Reconnects, c.Reconnects);
        Assert.Equal(0, c.InFlight);
        Assert.NotNull(c.LastError);
    }

    [Fact]
    public void A_garbage_reply_resets_the_connection_and_the_requests_complete()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { GarbageAfter = 2, ReorderWindow = 1 });
        rig.Server.Disk.AsSpan().Fill(7);
        var reads = Enumerable.Range(0, 8).Select(i => rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, (ulong)i * 8, 4096)).ToList();
        Assert.Equal(8, rig.RunUntilIdle().Count);
        Assert.All(reads, r => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r)));
        Assert.All(reads, r => Assert.True(rig.Builder.Data(r).IndexOfAnyExcept((byte)7) < 0));
        Assert.Contains(rig.Logged, l => l.Contains("protocol error", StringComparison.Ordinal));
        Assert.True(rig.Server.Connections >= 3);
    }

    [Fact]
    public void With_reconnect_timeout_0_a_lost_connection_fails_its_requests_at_once()
    {
        using var rig = new NbdRig(behaviour: new FakeNbdBehaviour { DropAfter = 1, DroppingConnections = 2 }, reconnectTimeoutSeconds: 0);
        var reads = Enumerable.Range(0, 4).Select(i => rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, (ulong)i * 8, 4096)).ToList();
        Assert.Equal(4, rig.RunUntilIdle().Count);
        Assert.Contains(reads, r => rig.Builder.Status(r) == VirtioBlk.VIRTIO_BLK_S_IOERR);
    }
}
