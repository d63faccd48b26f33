using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Network.NvmeTcp;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Network.Tests;

public sealed class NvmeTcpQueueTests
{
    /// <summary>Digests, data alignment, how reads come back and how writes are asked for.</summary>
    public static TheoryData<bool, bool, byte, int, bool, uint, uint> Shapes() => new()
    {
        { false, false, 0, 1, false, 0, 128 << 10 },     // plain: one C2HData + response, one R2T
        { true, true, 0, 1, false, 0, 128 << 10 },       // both digests
        { false, false, 3, 4, true, 0, 128 << 10 },      // 16-byte alignment, reads in 4 PDUs ending with SUCCESS
        { true, false, 7, 3, false, 8192, 4096 },        // R2Ts of 8 KiB answered in 4 KiB H2CData
        { false, true, 1, 2, true, 16384, 16384 },       // data digests with SUCCESS, R2Ts of 16 KiB
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Writes_read_back(bool headerDigest, bool dataDigest, byte cpda, int dataPdus, bool successFlag, uint r2tBytes, uint maxH2CData)
    {
        var behaviour = new FakeNvmeBehaviour { Cpda = cpda, DataPdus = dataPdus, SuccessFlag = successFlag, R2TBytes = r2tBytes, MaxH2CData = maxH2CData, Reorder = true };
        using var rig = new NvmeRig(behaviour: behaviour, headerDigest: headerDigest, dataDigest: dataDigest);
        ReadBack.Check(rig, rig.Backend.CapacityBytes, seed: cpda + dataPdus, rounds: 4, maxSectors: 64, holes: false); // up to 32 KiB: in the capsule up to 8 KiB, else through R2T
        Assert.Empty(rig.Target.Errors);
        Assert.True(rig.Target.InCapsuleWrites > 0 && rig.Target.R2TWrites > 0, rig.Target.InCapsuleWrites + " in-capsule, " + rig.Target.R2TWrites + " R2T writes");
        Assert.Equal(0, rig.Backend.Reconnects);
    }

    [Fact]
    public void Large_writes_go_by_reference_and_land_whole()
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { Reorder = true });
        ReadBack.Check(rig, rig.Backend.CapacityBytes, seed: 6, rounds: 3, maxSectors: 128, holes: false); // first: it reads against a disk that starts zeroed
        ReadBack.WritesLand(rig, rig.Target.Disk, seed: 5); // 32 in-capsule writes of 8 KiB at once
        ReadBack.LargeRoundTrip(rig);                        // R2T and H2CData
        Assert.True(rig.Backend.SplicedSends >= 2, rig.Backend.SplicedSends + " spliced sends");
        Assert.Empty(rig.Target.Errors);
    }

    [Fact]
    public void Requests_beyond_MDTS_go_in_pieces()
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { Mdts = 1 }); // 8 KiB a command
        Assert.Equal(8192u, rig.Backend.Topology.MaxTransferBytes);
        ReadBack.LargeRoundTrip(rig);
        Assert.Equal(8, rig.Target.Reads);
        Assert.Equal(8, rig.Target.InCapsuleWrites);
        Assert.Empty(rig.Target.Errors);
    }

    [Fact]
    public void Flush_discard_and_write_zeroes_reach_the_controller()
    {
        using var rig = new NvmeRig();
        Assert.Equal(BlkBackendFeatures.Discard | BlkBackendFeatures.WriteZeroes, rig.Backend.Features);
        rig.Target.Disk.AsSpan().Fill(0xab);
        BlkRequestLayout flush = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        BlkRequestLayout zero = rig.Builder.AddZeroing(VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES, [(8, 8, 0), (100, 4, 1)]);
        BlkRequestLayout trim = rig.Builder.AddZeroing(VirtioBlk.VIRTIO_BLK_T_DISCARD, [(200, 16, 0)]);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(flush));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(zero));
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(trim));
        Assert.Equal(1, rig.Target.Flushes);
        Assert.Equal([(8UL, 8u, false), (100UL, 4u, true), (200UL, 16u, true)], rig.Target.Zeroed.Order()); // the discard may pass the second range
        Assert.True(rig.Target.Disk.AsSpan(8 * 512, 8 * 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(0xab, rig.Target.Disk[16 * 512]);
        Assert.Empty(rig.Target.Errors);
    }

    [Fact]
    public void An_error_status_fails_that_request_only()
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { FailReadLba = 8 });
        ReadBack.OnlyTheFailedReadFails(rig, rig.Backend, rig.Target.SocketPath);
        Assert.Contains(rig.Logged, l => l.Contains("SCT 2 SC 0x81 (unrecovered read error)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public void A_lost_connection_brings_up_a_new_association_and_resends(int dropAt)
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { DropAtIo = [dropAt, dropAt + 9, dropAt + 20], Reorder = true });
        ReadBack.WritesLand(rig, rig.Target.Disk, dropAt);
        Assert.True(rig.Backend.Reconnects >= 3, rig.Backend.Reconnects + " reconnects");
        Assert.True(rig.Target.Connects.Count(c => c.Queue == 0) >= 4, "a new controller for each loss");
        ConnectionStatus c = Assert.Single(rig.Backend.Connections());
        Assert.Equal((rig.Backend.Reconnects, 0, "connected"), (c.Reconnects, c.InFlight, c.State));
        Assert.NotNull(c.LastError);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("unknown id")]
    [InlineData("bad data digest")]
    [InlineData("bad length")]
    [InlineData("bad header digest")]
    [InlineData("termination request")]
    public void A_bad_pdu_resets_the_connection_and_the_requests_complete(string fault)
    {
        var behaviour = fault switch
        {
            "garbage" => new FakeNvmeBehaviour { GarbageAtIo = 3 },
            "unknown id" => new FakeNvmeBehaviour { UnknownIdAtIo = 3 },
            "bad length" => new FakeNvmeBehaviour { BadLengthAtIo = 3 },
            "bad header digest" => new FakeNvmeBehaviour { BadHeaderDigestAtIo = 3 },
            "termination request" => new FakeNvmeBehaviour { TerminateAtIo = 3 },
            _ => new FakeNvmeBehaviour { BadDataDigestAtIo = 3 },
        };
        using var rig = new NvmeRig(behaviour: behaviour, headerDigest: true, dataDigest: true);
        rig.Target.Disk.AsSpan().Fill(7);
        var reads = Enumerable.Range(0, 8).Select(i => rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, (ulong)i * 8, 4096)).ToList();
        Assert.Equal(8, rig.RunUntilIdle().Count);
        Assert.All(reads, r => Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r)));
        Assert.All(reads, r => Assert.True(rig.Builder.Data(r).IndexOfAnyExcept((byte)7) < 0));
        string want = fault switch
        {
            "garbage" => "unexpected PDU type 0x00",
            "unknown id" => "which is not outstanding",
            "bad length" => "PDU type 0x05 of length 36 with data offset 0",
            "bad header digest" => "header digest is wrong",
            "termination request" => "C2HTermReq, fatal error status 0x1",
            _ => "data digest is wrong",
        };
        Assert.Contains(rig.Logged, l => l.Contains("protocol error", StringComparison.Ordinal) && l.Contains(want, StringComparison.Ordinal));
        Assert.True(rig.Backend.Reconnects >= 1);
    }

    [Fact]
    public void With_reconnect_timeout_0_a_lost_connection_fails_its_requests_at_once()
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { DropAtIo = [1, 2] }, reconnectTimeoutSeconds: 0);
        var reads = Enumerable.Range(0, 4).Select(i => rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, (ulong)i * 8, 4096)).ToList();
        Assert.Equal(4, rig.RunUntilIdle().Count);
        Assert.Contains(reads, r => rig.Builder.Status(r) == VirtioBlk.VIRTIO_BLK_S_IOERR);
    }

    [Fact]
    public void The_connector_keeps_the_association_alive()
    {
        using var rig = new NvmeRig(keepAliveMs: 300);
        System.Threading.Thread.Sleep(1000);
        Assert.True(rig.Target.KeepAlives >= 2, rig.Target.KeepAlives + " keep alives");
        BlkRequestLayout r = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 0, 4096);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r));
        Assert.Equal(0, rig.Backend.Reconnects);
    }

    [Fact]
    public void An_unanswered_keep_alive_brings_up_a_new_association_and_requests_go_on()
    {
        using var rig = new NvmeRig(behaviour: new FakeNvmeBehaviour { IgnoreKeepAlive = true }, keepAliveMs: 300);
        BlkRequestLayout first = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 0, 4096);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(first));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!rig.HasLogged(l => l.Contains("Keep Alive to", StringComparison.Ordinal)) && clock.ElapsedMilliseconds < 10_000)
        {
            System.Threading.Thread.Sleep(20);
        }

        Assert.True(rig.HasLogged(l => l.Contains("Keep Alive to", StringComparison.Ordinal) && l.Contains("re-establishing the association", StringComparison.Ordinal)));
        BlkRequestLayout after = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 8, 4096);
        rig.RunUntilIdle();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(after));

        // The queue drops the old association when it next runs after the connector ended it: on a
        // loaded host the request above can still go out on the old connection, which this target
        // keeps answering. Requests go on being answered until the queue has moved.
        clock.Restart();
        while (AdminConnects(rig) < 2 && clock.ElapsedMilliseconds < 10_000)
        {
            System.Threading.Thread.Sleep(20);
            BlkRequestLayout more = rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, 16, 4096);
            rig.RunUntilIdle();
            Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(more));
        }

        Assert.True(AdminConnects(rig) >= 2, "a new admin queue after the Keep Alive timeout");
    }

    private static int AdminConnects(NvmeRig rig)
    {
        lock (rig.Target.Connects)
        {
            return rig.Target.Connects.Count(c => c.Queue == 0);
        }
    }

    [Fact]
    public void A_namespace_with_larger_blocks_than_the_device_is_refused_with_the_fix()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nvme-").FullName;
        using var target = new FakeNvmeTarget(System.IO.Path.Combine(dir, "t.sock"), 1 << 20, new FakeNvmeBehaviour { BlockBytes = 4096 });
        var o = new NvmeTcpOptions(target.Endpoint, "nqn.2026-12.test:disk", 1, "nqn.2026-12.test:host", Guid.NewGuid());
        var e = Assert.Throws<BackendException>(() => NvmeTcpBackend.Open(o, false, 512, 1, 256, 30, _ => { }, _ => { }));
        Assert.Contains("has 4096-byte blocks: serve it with --logical-block-size 4096", e.Message, StringComparison.Ordinal);
    }
}
