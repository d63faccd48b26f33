using System;
using System.Buffers.Binary;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// The common header every NVMe/TCP PDU starts with (type, flags, header length, data offset, PDU
/// length), and the layout rules that follow from it: where a header digest goes, where data starts,
/// what a well-formed PDU of each type from a controller looks like.
/// </summary>
public readonly record struct NvmeTcpPdu(byte Type, byte Flags, byte HeaderLength, byte DataOffset, uint Length)
{
    /// <summary>Reads the common header at the start of <paramref name="pdu"/> (at least 8 bytes).</summary>
    public static NvmeTcpPdu Read(ReadOnlySpan<byte> pdu) =>
        new(pdu[0], pdu[1], pdu[2], pdu[3], BinaryPrimitives.ReadUInt32LittleEndian(pdu[4..]));

    /// <summary>Writes the common header at the start of <paramref name="pdu"/>.</summary>
    public void Write(Span<byte> pdu)
    {
        pdu[0] = Type;
        pdu[1] = Flags;
        pdu[2] = HeaderLength;
        pdu[3] = DataOffset;
        BinaryPrimitives.WriteUInt32LittleEndian(pdu[4..], Length);
    }

    /// <summary>True when a header digest follows the header.</summary>
    public bool HasHeaderDigest => (Flags & NvmeTcpProto.NVME_TCP_F_HDGST) != 0;

    /// <summary>True when a data digest follows the data.</summary>
    public bool HasDataDigest => (Flags & NvmeTcpProto.NVME_TCP_F_DDGST) != 0;

    /// <summary>Bytes from the start of the PDU to the end of its header digest (if any).</summary>
    public int HeaderAndDigestBytes => HeaderLength + (HasHeaderDigest ? NvmeTcpProto.DigestBytes : 0);

    /// <summary>Data bytes the PDU carries (0 for a PDU without data).</summary>
    public long DataBytes => DataOffset == 0 ? 0 : Length - DataOffset - (HasDataDigest ? NvmeTcpProto.DigestBytes : 0);

    /// <summary>
    /// Why a PDU with this header, from a controller that agreed to <paramref name="headerDigest"/>
    /// and <paramref name="dataDigest"/>, is malformed; null when its lengths and flags are what the
    /// transport allows for its type.
    /// </summary>
    public string? Malformed(bool headerDigest, bool dataDigest)
    {
        int expected = Type switch
        {
            NvmeTcpProto.nvme_tcp_icresp => NvmeTcpProto.ICReqBytes,
            NvmeTcpProto.nvme_tcp_rsp => NvmeTcpProto.RspHeaderBytes,
            NvmeTcpProto.nvme_tcp_c2h_data or NvmeTcpProto.nvme_tcp_r2t or NvmeTcpProto.nvme_tcp_c2h_term => NvmeTcpProto.DataHeaderBytes,
            _ => -1,
        };
        if (expected < 0)
        {
            return "unexpected PDU type 0x" + Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (HeaderLength != expected)
        {
            return "PDU type 0x" + Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + " with header length " + HeaderLength + " (want " + expected + ")";
        }

        bool digestable = Type is not (NvmeTcpProto.nvme_tcp_icresp or NvmeTcpProto.nvme_tcp_c2h_term);
        if (digestable && HasHeaderDigest != headerDigest)
        {
            return "PDU header digest flag " + (HasHeaderDigest ? "set" : "clear") + " against the negotiated " + (headerDigest ? "on" : "off");
        }

        if (Type == NvmeTcpProto.nvme_tcp_c2h_data)
        {
            if (HasDataDigest != dataDigest)
            {
                return "C2HData data digest flag " + (HasDataDigest ? "set" : "clear") + " against the negotiated " + (dataDigest ? "on" : "off");
            }

            if (DataOffset < HeaderAndDigestBytes || DataOffset > Length || DataBytes <= 0)
            {
                return "C2HData with data offset " + DataOffset + " and length " + Length;
            }

            return null;
        }

        if (Type == NvmeTcpProto.nvme_tcp_c2h_term)
        {
            return Length < HeaderLength || Length > HeaderLength + NvmeTcpProto.MaxTermDataBytes ? "termination request of length " + Length : null;
        }

        return Length != HeaderAndDigestBytes || DataOffset != 0 ? "PDU type 0x" + Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)
            + " of length " + Length + " with data offset " + DataOffset : null;
    }
}
