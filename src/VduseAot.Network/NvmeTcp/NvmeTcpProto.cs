namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// Constants of the NVMe/TCP transport (NVM Express TCP Transport Specification 1.0), under the
/// specification's names as Linux's include/linux/nvme-tcp.h spells them. Multi-byte fields are
/// little-endian.
/// </summary>
public static class NvmeTcpProto
{
    /// <summary>PDU type: initialize connection request (host to controller).</summary>
    public const byte nvme_tcp_icreq = 0x00;

    /// <summary>PDU type: initialize connection response.</summary>
    public const byte nvme_tcp_icresp = 0x01;

    /// <summary>PDU type: host to controller termination request.</summary>
    public const byte nvme_tcp_h2c_term = 0x02;

    /// <summary>PDU type: controller to host termination request.</summary>
    public const byte nvme_tcp_c2h_term = 0x03;

    /// <summary>PDU type: command capsule.</summary>
    public const byte nvme_tcp_cmd = 0x04;

    /// <summary>PDU type: response capsule.</summary>
    public const byte nvme_tcp_rsp = 0x05;

    /// <summary>PDU type: host to controller data.</summary>
    public const byte nvme_tcp_h2c_data = 0x06;

    /// <summary>PDU type: controller to host data.</summary>
    public const byte nvme_tcp_c2h_data = 0x07;

    /// <summary>PDU type: ready to transfer.</summary>
    public const byte nvme_tcp_r2t = 0x09;

    /// <summary>PDU flag: a header digest follows the header.</summary>
    public const byte NVME_TCP_F_HDGST = 1 << 0;

    /// <summary>PDU flag: a data digest follows the data.</summary>
    public const byte NVME_TCP_F_DDGST = 1 << 1;

    /// <summary>Data PDU flag: the last data PDU of the command (or of the R2T).</summary>
    public const byte NVME_TCP_F_DATA_LAST = 1 << 2;

    /// <summary>C2HData flag: the command succeeded and no response capsule follows.</summary>
    public const byte NVME_TCP_F_DATA_SUCCESS = 1 << 3;

    /// <summary>ICReq/ICResp digest field: header digests.</summary>
    public const byte NVME_TCP_HDR_DIGEST_ENABLE = 1 << 0;

    /// <summary>ICReq/ICResp digest field: data digests.</summary>
    public const byte NVME_TCP_DATA_DIGEST_ENABLE = 1 << 1;

    /// <summary>The PDU format version both sides speak.</summary>
    public const ushort NVME_TCP_PFV_1_0 = 0;

    /// <summary>Bytes of the common header every PDU starts with.</summary>
    public const int CommonHeaderBytes = 8;

    /// <summary>Header (and whole PDU) length of ICReq and ICResp.</summary>
    public const int ICReqBytes = 128;

    /// <summary>Header length of a command capsule: the common header and a 64-byte submission entry.</summary>
    public const int CmdHeaderBytes = CommonHeaderBytes + NvmeProto.SqeBytes;

    /// <summary>Header length of a response capsule: the common header and a 16-byte completion entry.</summary>
    public const int RspHeaderBytes = CommonHeaderBytes + NvmeProto.CqeBytes;

    /// <summary>Header length of H2CData, C2HData, R2T and the termination requests.</summary>
    public const int DataHeaderBytes = 24;

    /// <summary>Bytes of a header or data digest (CRC32C).</summary>
    public const int DigestBytes = 4;

    /// <summary>The most of the offending PDU header a termination request carries.</summary>
    public const int MaxTermDataBytes = 128;

    /// <summary>Largest PDU we accept from a controller before its data (any header length above this is malformed).</summary>
    public const int MaxHeaderBytes = ICReqBytes;
}
