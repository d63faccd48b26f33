using System;
using System.IO;
using VduseAot.Interop;
using VduseAot.Network.NvmeTcp;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>Bringing up an association with <see cref="FakeNvmeTarget"/>: the admin queue, then I/O queues.</summary>
public sealed class NvmeTcpAdminTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vduse-nvme-").FullName;
    private FakeNvmeTarget? _target;

    private NvmeTcpOptions Start(FakeNvmeBehaviour? behaviour = null, bool digests = false)
    {
        _target = new FakeNvmeTarget(Path.Combine(_dir, "nvme.sock"), 64 << 20, behaviour);
        return new NvmeTcpOptions(_target.Endpoint, (behaviour ?? new FakeNvmeBehaviour()).SubsystemNqn, 1, "nqn.2014-08.org.nvmexpress:uuid:test",
            Guid.NewGuid(), digests, digests);
    }

    public static TheoryData<bool, int, bool, byte> Shapes() => new()
    {
        { false, 1, false, 0 },
        { true, 1, false, 0 },  // header and data digests
        { false, 3, false, 0 }, // Identify data in three C2HData PDUs
        { true, 2, true, 0 },   // the last one with SUCCESS, no response capsule
        { true, 1, false, 7 },  // CPDA 7: data at 32-byte boundaries
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_admin_queue_learns_the_namespace_and_io_queues_connect_to_its_controller(bool digests, int pieces, bool success, byte cpda)
    {
        NvmeTcpOptions o = Start(new FakeNvmeBehaviour { DataPdus = pieces, SuccessFlag = success, Cpda = cpda }, digests);
        (OwnedFd admin, _, NvmeTcpTarget t) = NvmeTcpAdmin.Open(o, 2, 5000);
        using (admin)
        {
            Assert.Equal(0x21, t.ControllerId);
            Assert.Equal((64UL << 20) / 512, t.Namespace.Blocks);
            Assert.Equal(512u, t.Namespace.BlockBytes);
            Assert.Equal(128, t.MaxQueueEntries);
            Assert.Equal(128UL << 10, t.MaxTransferBytes);
            Assert.True(t.CanDeallocate && t.CanWriteZeroes);
            Assert.Equal(8192u, t.Controller.InCapsuleBytes);
            Assert.Equal(8, t.IoQueues);
            for (ushort q = 1; q <= 2; q++)
            {
                (OwnedFd io, NvmeTcpExchange x) = NvmeTcpAdmin.OpenIoQueue(o, t, q, 128, 5000);
                Assert.Equal(digests, x.HeaderDigest);
                io.Dispose();
            }
        }

        Assert.Empty(_target!.Errors);
        Assert.Equal([((ushort)0, o.HostNqn, (ushort)0xffff), ((ushort)1, o.HostNqn, (ushort)0x21), ((ushort)2, o.HostNqn, (ushort)0x21)], _target.Connects);
        Assert.Equal([0, NvmeProto.NVME_CONNECT_DISABLE_SQFLOW, NvmeProto.NVME_CONNECT_DISABLE_SQFLOW], _target.ConnectAttributes); // the I/O queues without SQ flow control
    }

    [Fact]
    public void A_wrong_subsystem_is_rejected_with_the_controllers_status()
    {
        NvmeTcpOptions o = Start() with { SubsystemNqn = "nqn.2026-12.test:other" };
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 1, 5000));
        Assert.Equal("unix socket " + _target!.SocketPath + " rejected Connect (admin queue) to nqn.2026-12.test:other as " + o.HostNqn
            + ": SCT 1 SC 0x82 (Connect invalid parameters)", e.Message);
    }

    [Fact]
    public void A_missing_namespace_says_so()
    {
        NvmeTcpOptions o = Start() with { Nsid = 2 };
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 1, 5000));
        Assert.EndsWith("subsystem nqn.2026-12.test:disk has no active namespace 2: check --nsid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_few_queues_granted_names_the_number_to_serve_with()
    {
        NvmeTcpOptions o = Start(new FakeNvmeBehaviour { GrantQueues = 2 });
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 4, 5000));
        Assert.EndsWith("the controller grants 2 I/O queue(s), not 4: serve it with --queues 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digests_the_controller_refuses_are_an_error()
    {
        NvmeTcpOptions o = Start(new FakeNvmeBehaviour { GrantDigests = false }, digests: true);
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 1, 5000));
        Assert.EndsWith("did not agree to the digests asked for (header off, data off): change --nvme-digest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_header_digest_is_a_protocol_error()
    {
        NvmeTcpOptions o = Start(new FakeNvmeBehaviour { BadDigestOnIdentify = true }, digests: true);
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 1, 5000));
        Assert.EndsWith("sent a PDU header whose digest is wrong during Identify Namespace: NVMe/TCP protocol error", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_termination_request_ends_the_bring_up_with_its_status()
    {
        NvmeTcpOptions o = Start(new FakeNvmeBehaviour { TerminateOnIdentify = true });
        var e = Assert.Throws<NetworkException>(() => NvmeTcpAdmin.Open(o, 1, 5000));
        Assert.EndsWith("ended the connection during Identify Controller (C2HTermReq, fatal error status 0x5)", e.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _target?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
