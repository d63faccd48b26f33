namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// NVMe command set and NVMe over Fabrics constants used by the NVMe/TCP host, with the base and
/// fabrics specifications' names as Linux's include/linux/nvme.h spells them.
/// </summary>
public static class NvmeProto
{
    /// <summary>Bytes of a submission queue entry.</summary>
    public const int SqeBytes = 64;

    /// <summary>Bytes of a completion queue entry.</summary>
    public const int CqeBytes = 16;

    /// <summary>Admin: Identify.</summary>
    public const byte nvme_admin_identify = 0x06;

    /// <summary>Admin: Set Features.</summary>
    public const byte nvme_admin_set_features = 0x09;

    /// <summary>Admin: Keep Alive.</summary>
    public const byte nvme_admin_keep_alive = 0x18;

    /// <summary>Fabrics command opcode (the fctype field says which).</summary>
    public const byte nvme_fabrics_command = 0x7f;

    /// <summary>Fabrics: Property Set.</summary>
    public const byte nvme_fabrics_type_property_set = 0x00;

    /// <summary>Fabrics: Connect.</summary>
    public const byte nvme_fabrics_type_connect = 0x01;

    /// <summary>Fabrics: Property Get.</summary>
    public const byte nvme_fabrics_type_property_get = 0x04;

    /// <summary>I/O: Flush.</summary>
    public const byte nvme_cmd_flush = 0x00;

    /// <summary>I/O: Write.</summary>
    public const byte nvme_cmd_write = 0x01;

    /// <summary>I/O: Read.</summary>
    public const byte nvme_cmd_read = 0x02;

    /// <summary>I/O: Write Zeroes.</summary>
    public const byte nvme_cmd_write_zeroes = 0x08;

    /// <summary>I/O: Dataset Management (deallocate ranges).</summary>
    public const byte nvme_cmd_dsm = 0x09;

    /// <summary>Identify CNS: the namespace given by NSID.</summary>
    public const byte NVME_ID_CNS_NS = 0x00;

    /// <summary>Identify CNS: the controller.</summary>
    public const byte NVME_ID_CNS_CTRL = 0x01;

    /// <summary>Bytes of an Identify data structure.</summary>
    public const int IdentifyBytes = 4096;

    /// <summary>Feature: Number of Queues.</summary>
    public const byte NVME_FEAT_NUM_QUEUES = 0x07;

    /// <summary>Property: Controller Capabilities (8 bytes).</summary>
    public const uint NVME_REG_CAP = 0x00;

    /// <summary>Property: Version.</summary>
    public const uint NVME_REG_VS = 0x08;

    /// <summary>Property: Controller Configuration.</summary>
    public const uint NVME_REG_CC = 0x14;

    /// <summary>Property: Controller Status.</summary>
    public const uint NVME_REG_CSTS = 0x1c;

    /// <summary>CC.EN: enable.</summary>
    public const uint NVME_CC_ENABLE = 1 << 0;

    /// <summary>CC.IOSQES = 6 (64-byte entries).</summary>
    public const uint NVME_CC_IOSQES = 6 << 16;

    /// <summary>CC.IOCQES = 4 (16-byte entries).</summary>
    public const uint NVME_CC_IOCQES = 4 << 20;

    /// <summary>CSTS.RDY: ready.</summary>
    public const uint NVME_CSTS_RDY = 1 << 0;

    /// <summary>CSTS.CFS: controller fatal status.</summary>
    public const uint NVME_CSTS_CFS = 1 << 1;

    /// <summary>PSDT = 01b in the command's flags byte: the data pointer is an SGL.</summary>
    public const byte NVME_CMD_SGL_METABUF = 1 << 6;

    /// <summary>SGL descriptor type: data block, address is an offset into the capsule (in-capsule data).</summary>
    public const byte NVME_SGL_FMT_DATA_DESC_OFFSET = (0x0 << 4) | 0x1;

    /// <summary>SGL descriptor type: transport data block (data moves in C2HData/H2CData PDUs).</summary>
    public const byte NVME_TRANSPORT_SGL_DATA_DESC = (0x5 << 4) | 0xA;

    /// <summary>Connect: the cntlid that asks for a dynamic controller.</summary>
    public const ushort NVME_CNTLID_DYNAMIC = 0xffff;

    /// <summary>Connect CATTR: SQ flow control disabled (no SQHD in completions; C2HData may carry SUCCESS).</summary>
    public const byte NVME_CONNECT_DISABLE_SQFLOW = 1 << 2;

    /// <summary>Bytes of the Connect command's data (host id, cntlid, subsystem and host NQN).</summary>
    public const int ConnectDataBytes = 1024;

    /// <summary>ONCS bit: Dataset Management.</summary>
    public const ushort NVME_CTRL_ONCS_DSM = 1 << 2;

    /// <summary>ONCS bit: Write Zeroes.</summary>
    public const ushort NVME_CTRL_ONCS_WRITE_ZEROES = 1 << 3;

    /// <summary>VWC bit: a volatile write cache is present (Flush matters).</summary>
    public const byte NVME_CTRL_VWC_PRESENT = 1 << 0;

    /// <summary>DSM attribute: deallocate.</summary>
    public const uint NVME_DSMGMT_AD = 1 << 2;

    /// <summary>Write Zeroes cdw12 bit: deallocate (the zeroes may be a hole).</summary>
    public const uint NVME_WZ_DEAC = 1u << 25;

    /// <summary>Bytes of one Dataset Management range.</summary>
    public const int DsmRangeBytes = 16;

    /// <summary>Status code type of a generic command status.</summary>
    public const int NVME_SCT_GENERIC = 0;
}
