using System;
using System.Buffers.Binary;
using VduseAot.Network.NvmeTcp;
using Xunit;

namespace VduseAot.Network.Tests;

public sealed class NvmeTcpCodecTests
{
    [Fact]
    public void Crc32c_matches_the_check_value_in_one_piece_and_in_several()
    {
        byte[] check = "123456789"u8.ToArray();
        Assert.Equal(0xe3069283u, Crc32C.Of(check)); // the Castagnoli check value (RFC 3720 B.4)
        uint running = Crc32C.Update(Crc32C.Update(Crc32C.Seed, check.AsSpan(0, 5)), check.AsSpan(5));
        Assert.Equal(0xe3069283u, Crc32C.Finish(running));
        Assert.Equal(0x8a9136aau, Crc32C.Of(new byte[32])); // RFC 3720 B.4: 32 bytes of zeroes
    }

    [Fact]
    public void Common_header_round_trips()
    {
        var pdu = new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_c2h_data, NvmeTcpProto.NVME_TCP_F_HDGST | NvmeTcpProto.NVME_TCP_F_DATA_LAST, 24, 28, 28 + 4096);
        byte[] wire = new byte[8];
        pdu.Write(wire);
        Assert.Equal(pdu, NvmeTcpPdu.Read(wire));
        Assert.Equal(28, pdu.HeaderAndDigestBytes);
        Assert.Equal(4096, pdu.DataBytes);
    }

    [Theory]
    [InlineData(NvmeTcpProto.nvme_tcp_rsp, 0, 24, 0, 24u, false, false, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_rsp, NvmeTcpProto.NVME_TCP_F_HDGST, 24, 0, 28u, true, false, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_rsp, 0, 24, 0, 28u, false, false, "PDU type 0x05 of length 28 with data offset 0")]
    [InlineData(NvmeTcpProto.nvme_tcp_rsp, 0, 24, 0, 24u, true, false, "PDU header digest flag clear against the negotiated on")]
    [InlineData(NvmeTcpProto.nvme_tcp_rsp, 0, 72, 0, 72u, false, false, "PDU type 0x05 with header length 72 (want 24)")]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_data, 0, 24, 24, 24u + 512, false, false, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_data, NvmeTcpProto.NVME_TCP_F_DDGST, 24, 24, 24u + 512 + 4, false, true, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_data, 0, 24, 24, 24u, false, false, "C2HData with data offset 24 and length 24")]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_data, 0, 24, 8, 600u, false, false, "C2HData with data offset 8 and length 600")]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_data, 0, 24, 24, 600u, false, true, "C2HData data digest flag clear against the negotiated on")]
    [InlineData(NvmeTcpProto.nvme_tcp_r2t, 0, 24, 0, 24u, false, false, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_term, 0, 24, 0, 24u + 72, true, true, null)]
    [InlineData(NvmeTcpProto.nvme_tcp_c2h_term, 0, 24, 0, 24u + 200, false, false, "termination request of length 224")]
    [InlineData(NvmeTcpProto.nvme_tcp_cmd, 0, 72, 0, 72u, false, false, "unexpected PDU type 0x04")]
    [InlineData((byte)0x42, 0, 24, 0, 24u, false, false, "unexpected PDU type 0x42")]
    public void Controller_pdus_are_checked_against_their_type(byte type, byte flags, byte hlen, byte pdo, uint plen, bool hdgst, bool ddgst, string? error)
    {
        Assert.Equal(error, new NvmeTcpPdu(type, flags, hlen, pdo, plen).Malformed(hdgst, ddgst));
    }

    [Fact]
    public void Connect_puts_the_queue_fields_and_the_in_capsule_sgl_where_the_specification_says()
    {
        byte[] sqe = new byte[64];
        NvmeCommand.Connect(sqe, 7, 3, 128, 0);
        Assert.Equal(0x7f, sqe[0]);
        Assert.Equal(NvmeProto.NVME_CMD_SGL_METABUF, sqe[1]);
        Assert.Equal(7, BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(2)));
        Assert.Equal(NvmeProto.nvme_fabrics_type_connect, sqe[4]);
        Assert.Equal(1024u, BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(32)));
        Assert.Equal(NvmeProto.NVME_SGL_FMT_DATA_DESC_OFFSET, sqe[39]);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(42)));
        Assert.Equal(127, BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(44)));

        byte[] data = new byte[1024];
        var host = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        NvmeCommand.ConnectData(data, host, NvmeProto.NVME_CNTLID_DYNAMIC, "nqn.2014-08.org.example:disk", "nqn.host");
        Assert.Equal(0x00, data[0]);
        Assert.Equal(0xff, data[15]);
        Assert.Equal(0xffff, BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(16)));
        Assert.Equal("nqn.2014-08.org.example:disk", System.Text.Encoding.ASCII.GetString(data, 256, 28));
        Assert.Equal(0, data[256 + 28]);
        Assert.Equal("nqn.host", System.Text.Encoding.ASCII.GetString(data, 512, 8));
    }

    [Fact]
    public void A_completion_round_trips_and_names_its_status()
    {
        byte[] cqe = new byte[16];
        new NvmeCompletion(0x1234, 5, 9, (1 << 8) | 0x82).Write(cqe);
        NvmeCompletion c = NvmeCompletion.Read(cqe);
        Assert.Equal(0x1234UL, c.Result);
        Assert.Equal(9, c.CommandId);
        Assert.False(c.Ok);
        Assert.Equal("SCT 1 SC 0x82 (Connect invalid parameters)", c.Describe());
        Assert.True(NvmeCompletion.Read(new byte[16]).Ok);
    }

    [Fact]
    public void Identify_structures_give_size_format_limits_and_commands()
    {
        byte[] ctrl = new byte[4096];
        ctrl[77] = 5;
        BinaryPrimitives.WriteUInt16LittleEndian(ctrl.AsSpan(78), 0x21);
        BinaryPrimitives.WriteUInt16LittleEndian(ctrl.AsSpan(320), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(ctrl.AsSpan(520), NvmeProto.NVME_CTRL_ONCS_DSM | NvmeProto.NVME_CTRL_ONCS_WRITE_ZEROES);
        ctrl[525] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(ctrl.AsSpan(536), 1);
        "nqn.test"u8.CopyTo(ctrl.AsSpan(768));
        BinaryPrimitives.WriteUInt32LittleEndian(ctrl.AsSpan(1792), (8192 + 64) / 16);
        NvmeController c = NvmeController.Parse(ctrl);
        Assert.Equal(new NvmeController(5, 0x21, 100, 12, true, 1, 8192, "nqn.test"), c);
        Assert.Equal(128UL << 10, c.MaxTransferBytes(4096));

        byte[] ns = new byte[4096];
        BinaryPrimitives.WriteUInt64LittleEndian(ns, 1 << 18);
        ns[25] = 1;   // two formats
        ns[26] = 1;   // the second in use
        ns[128 + 4 + 2] = 12;
        NvmeNamespace? n = NvmeNamespace.Parse(ns);
        Assert.Equal(new NvmeNamespace(1 << 18, 4096, 0), n);
        Assert.Equal(1UL << 30, n!.Bytes);
        Assert.Null(NvmeNamespace.Parse(new byte[4096]));
    }
}
