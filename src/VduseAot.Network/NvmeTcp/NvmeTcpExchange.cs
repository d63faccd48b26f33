using System;
using System.Buffers.Binary;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// One command at a time on a blocking NVMe/TCP connection: the initialize-connection exchange, then
/// command capsules (with in-capsule data) answered by C2HData and a response capsule. Used for the
/// admin queue and to Connect each I/O queue before it goes to its queue thread; never on the data
/// path. Every PDU from the controller is checked; a malformed one throws.
/// </summary>
public sealed class NvmeTcpExchange
{
    private readonly BlockingSocket _socket;
    private readonly string _peer;
    private readonly byte[] _header = new byte[NvmeTcpProto.MaxHeaderBytes + NvmeTcpProto.DigestBytes];
    private ushort _nextCommandId;

    /// <summary>Speaks on connected socket <paramref name="socket"/> to <paramref name="peer"/> (for messages).</summary>
    public NvmeTcpExchange(BlockingSocket socket, string peer)
    {
        _socket = socket;
        _peer = peer;
    }

    /// <summary>Header digests were agreed.</summary>
    public bool HeaderDigest { get; private set; }

    /// <summary>Data digests were agreed.</summary>
    public bool DataDigest { get; private set; }

    /// <summary>The controller's PDU data alignment in bytes (CPDA + 1 dwords).</summary>
    public int DataAlignment { get; private set; } = 4;

    /// <summary>MAXH2CDATA: the most data one H2CData PDU may carry.</summary>
    public uint MaxH2CData { get; private set; }

    /// <summary>ICReq, ICResp: agrees on the PDU format, the digests asked for and the data alignment.</summary>
    public void Initialize(bool headerDigest, bool dataDigest)
    {
        Span<byte> icreq = stackalloc byte[NvmeTcpProto.ICReqBytes];
        icreq.Clear();
        new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_icreq, 0, NvmeTcpProto.ICReqBytes, 0, NvmeTcpProto.ICReqBytes).Write(icreq);
        BinaryPrimitives.WriteUInt16LittleEndian(icreq[8..], NvmeTcpProto.NVME_TCP_PFV_1_0);
        icreq[10] = 0; // HPDA: we take data at any dword offset
        icreq[11] = (byte)((headerDigest ? NvmeTcpProto.NVME_TCP_HDR_DIGEST_ENABLE : 0) | (dataDigest ? NvmeTcpProto.NVME_TCP_DATA_DIGEST_ENABLE : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(icreq[12..], 0); // MAXR2T 0: one R2T outstanding per command
        _socket.Write(icreq, "the NVMe/TCP ICReq");

        Span<byte> icresp = _header.AsSpan(0, NvmeTcpProto.ICReqBytes);
        _socket.Read(icresp[..NvmeTcpProto.CommonHeaderBytes], "the NVMe/TCP ICResp");
        NvmeTcpPdu pdu = NvmeTcpPdu.Read(icresp);
        if (pdu.Type != NvmeTcpProto.nvme_tcp_icresp || pdu.Malformed(false, false) is string bad)
        {
            throw new NetworkException(_peer + " answered the ICReq with a malformed PDU (" + (pdu.Type == NvmeTcpProto.nvme_tcp_c2h_term
                ? "a termination request" : pdu.Malformed(false, false) ?? "type 0x" + pdu.Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)) + ")");
        }

        _socket.Read(icresp[NvmeTcpProto.CommonHeaderBytes..], "the NVMe/TCP ICResp");
        ushort pfv = BinaryPrimitives.ReadUInt16LittleEndian(icresp[8..]);
        if (pfv != NvmeTcpProto.NVME_TCP_PFV_1_0)
        {
            throw new NetworkException(_peer + " speaks NVMe/TCP PDU format " + pfv + ", not 1.0");
        }

        DataAlignment = (icresp[10] + 1) * 4;
        byte digests = icresp[11];
        HeaderDigest = (digests & NvmeTcpProto.NVME_TCP_HDR_DIGEST_ENABLE) != 0;
        DataDigest = (digests & NvmeTcpProto.NVME_TCP_DATA_DIGEST_ENABLE) != 0;
        if (HeaderDigest != headerDigest || DataDigest != dataDigest)
        {
            throw new NetworkException(_peer + " did not agree to the digests asked for (header " + (HeaderDigest ? "on" : "off") + ", data "
                + (DataDigest ? "on" : "off") + "): change --nvme-digest");
        }

        MaxH2CData = BinaryPrimitives.ReadUInt32LittleEndian(icresp[12..]);
        if (MaxH2CData < 4096)
        {
            throw new NetworkException(_peer + " offers MAXH2CDATA " + MaxH2CData + ", below the 4096 the transport requires");
        }
    }

    /// <summary>A command id for the next command of this exchange.</summary>
    public ushort NextCommandId() => _nextCommandId++;

    /// <summary>
    /// Sends the command in <paramref name="sqe"/> with <paramref name="inCapsule"/> as in-capsule data,
    /// receives into <paramref name="dataIn"/> whatever C2HData the controller sends, and returns its
    /// completion. <paramref name="what"/> names the command in errors.
    /// </summary>
    public NvmeCompletion Execute(ReadOnlySpan<byte> sqe, ReadOnlySpan<byte> inCapsule, Span<byte> dataIn, string what)
    {
        SendCapsule(sqe, inCapsule, what);
        ushort id = NvmeCommand.CommandId(sqe);
        while (true)
        {
            NvmeTcpPdu pdu = ReadHeader(what);
            ReadOnlySpan<byte> h = _header.AsSpan(0, pdu.HeaderLength);
            switch (pdu.Type)
            {
                case NvmeTcpProto.nvme_tcp_rsp:
                    NvmeCompletion c = NvmeCompletion.Read(h[NvmeTcpProto.CommonHeaderBytes..]);
                    return c.CommandId == id ? c : throw Protocol(what, "a response for command id " + c.CommandId + " (want " + id + ")");
                case NvmeTcpProto.nvme_tcp_c2h_data:
                    if (ReceiveData(pdu, id, dataIn, what))
                    {
                        return new NvmeCompletion(0, 0, id, 0);
                    }

                    break;
                default:
                    throw Protocol(what, "an unexpected PDU of type 0x" + pdu.Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    private void SendCapsule(ReadOnlySpan<byte> sqe, ReadOnlySpan<byte> inCapsule, string what)
    {
        int header = NvmeTcpProto.CmdHeaderBytes + (HeaderDigest ? NvmeTcpProto.DigestBytes : 0);
        int dataOffset = inCapsule.IsEmpty ? 0 : Align(header, DataAlignment);
        int length = inCapsule.IsEmpty ? header : dataOffset + inCapsule.Length + (DataDigest ? NvmeTcpProto.DigestBytes : 0);
        byte[] pdu = new byte[length]; // the handshake path: allocating here is fine
        byte flags = (byte)((HeaderDigest ? NvmeTcpProto.NVME_TCP_F_HDGST : 0) | (DataDigest && !inCapsule.IsEmpty ? NvmeTcpProto.NVME_TCP_F_DDGST : 0));
        new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_cmd, flags, NvmeTcpProto.CmdHeaderBytes, (byte)dataOffset, (uint)length).Write(pdu);
        sqe[..NvmeProto.SqeBytes].CopyTo(pdu.AsSpan(NvmeTcpProto.CommonHeaderBytes));
        if (HeaderDigest)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(NvmeTcpProto.CmdHeaderBytes), Crc32C.Of(pdu.AsSpan(0, NvmeTcpProto.CmdHeaderBytes)));
        }

        if (!inCapsule.IsEmpty)
        {
            inCapsule.CopyTo(pdu.AsSpan(dataOffset));
            if (DataDigest)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(dataOffset + inCapsule.Length), Crc32C.Of(inCapsule));
            }
        }

        _socket.Write(pdu, what);
    }

    /// <summary>Reads and checks one PDU header (and its digest) into the header buffer.</summary>
    private NvmeTcpPdu ReadHeader(string what)
    {
        _socket.Read(_header.AsSpan(0, NvmeTcpProto.CommonHeaderBytes), what);
        NvmeTcpPdu pdu = NvmeTcpPdu.Read(_header);
        if (pdu.Type == NvmeTcpProto.nvme_tcp_c2h_term && pdu.Malformed(HeaderDigest, DataDigest) == null)
        {
            _socket.Read(_header.AsSpan(NvmeTcpProto.CommonHeaderBytes, NvmeTcpProto.DataHeaderBytes - NvmeTcpProto.CommonHeaderBytes), what);
            ushort fes = BinaryPrimitives.ReadUInt16LittleEndian(_header.AsSpan(8));
            throw new NetworkException(_peer + " ended the connection during " + what + " (C2HTermReq, fatal error status 0x"
                + fes.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + ")");
        }

        if (pdu.Malformed(HeaderDigest, DataDigest) is string bad)
        {
            throw Protocol(what, bad);
        }

        _socket.Read(_header.AsSpan(NvmeTcpProto.CommonHeaderBytes, pdu.HeaderAndDigestBytes - NvmeTcpProto.CommonHeaderBytes), what);
        if (pdu.HasHeaderDigest && BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(pdu.HeaderLength)) != Crc32C.Of(_header.AsSpan(0, pdu.HeaderLength)))
        {
            throw Protocol(what, "a PDU header whose digest is wrong");
        }

        return pdu;
    }

    /// <summary>Receives one C2HData PDU's data into <paramref name="into"/>; true when it ended the command with SUCCESS.</summary>
    private bool ReceiveData(NvmeTcpPdu pdu, ushort id, Span<byte> into, string what)
    {
        ReadOnlySpan<byte> h = _header;
        ushort cccid = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        if (cccid != id || length != pdu.DataBytes || (ulong)offset + length > (ulong)into.Length)
        {
            throw Protocol(what, "C2HData for command " + cccid + " at " + offset + "+" + length + " (want command " + id + " within " + into.Length + " bytes)");
        }

        int pad = pdu.DataOffset - pdu.HeaderAndDigestBytes;
        if (pad > 0)
        {
            Span<byte> skip = stackalloc byte[pad];
            _socket.Read(skip, what);
        }

        Span<byte> data = into.Slice((int)offset, (int)length);
        _socket.Read(data, what);
        if (pdu.HasDataDigest)
        {
            Span<byte> digest = stackalloc byte[NvmeTcpProto.DigestBytes];
            _socket.Read(digest, what);
            if (BinaryPrimitives.ReadUInt32LittleEndian(digest) != Crc32C.Of(data))
            {
                throw Protocol(what, "C2HData whose data digest is wrong");
            }
        }

        bool last = (pdu.Flags & NvmeTcpProto.NVME_TCP_F_DATA_LAST) != 0;
        return last && (pdu.Flags & NvmeTcpProto.NVME_TCP_F_DATA_SUCCESS) != 0;
    }

    private NetworkException Protocol(string what, string detail) =>
        new(_peer + " sent " + detail + " during " + what + ": NVMe/TCP protocol error");

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
