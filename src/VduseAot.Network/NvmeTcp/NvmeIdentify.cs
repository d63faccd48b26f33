using System;
using System.Buffers.Binary;

namespace VduseAot.Network.NvmeTcp;

/// <summary>What the host takes from Identify Controller.</summary>
/// <param name="Mdts">Maximum data transfer size as a power of two of the minimum page size (0: no limit).</param>
/// <param name="ControllerId">CNTLID.</param>
/// <param name="KeepAliveGranularityMs">KAS in milliseconds (0: keep alive not supported).</param>
/// <param name="Oncs">Optional NVM commands supported (DSM, Write Zeroes...).</param>
/// <param name="VolatileWriteCache">VWC present: Flush is needed for durability.</param>
/// <param name="Sgls">SGL support bits (0: none, which NVMe/TCP requires).</param>
/// <param name="InCapsuleBytes">IOCCSZ in bytes minus the 64-byte entry: data that fits in an I/O command capsule.</param>
/// <param name="SubsystemNqn">SUBNQN.</param>
public sealed record NvmeController(byte Mdts, ushort ControllerId, uint KeepAliveGranularityMs, ushort Oncs, bool VolatileWriteCache, uint Sgls,
    uint InCapsuleBytes, string SubsystemNqn)
{
    /// <summary>Parses the 4096-byte Identify Controller data structure.</summary>
    public static NvmeController Parse(ReadOnlySpan<byte> id)
    {
        uint ioccsz = BinaryPrimitives.ReadUInt32LittleEndian(id[1792..]) * 16; // units of 16 bytes, the entry included
        return new NvmeController(
            id[77],
            BinaryPrimitives.ReadUInt16LittleEndian(id[78..]),
            BinaryPrimitives.ReadUInt16LittleEndian(id[320..]) * 100u,
            BinaryPrimitives.ReadUInt16LittleEndian(id[520..]),
            (id[525] & NvmeProto.NVME_CTRL_VWC_PRESENT) != 0,
            BinaryPrimitives.ReadUInt32LittleEndian(id[536..]),
            ioccsz > NvmeProto.SqeBytes ? ioccsz - NvmeProto.SqeBytes : 0,
            Text(id.Slice(768, 256)));
    }

    /// <summary>The most bytes one command may move, for minimum page size <paramref name="minPageBytes"/> (0: no limit).</summary>
    public ulong MaxTransferBytes(uint minPageBytes) => Mdts == 0 ? 0 : (ulong)minPageBytes << Mdts;

    private static string Text(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? field : field[..end]).Trim();
    }
}

/// <summary>What the host takes from Identify Namespace.</summary>
/// <param name="Blocks">NSZE: size in logical blocks.</param>
/// <param name="BlockBytes">The logical block size of the format in use.</param>
/// <param name="MetadataBytes">Metadata bytes per block of that format (we serve only formats without).</param>
public sealed record NvmeNamespace(ulong Blocks, uint BlockBytes, ushort MetadataBytes)
{
    /// <summary>Parses the 4096-byte Identify Namespace data structure; null for an inactive namespace (all zero).</summary>
    public static NvmeNamespace? Parse(ReadOnlySpan<byte> id)
    {
        ulong nsze = BinaryPrimitives.ReadUInt64LittleEndian(id);
        if (nsze == 0)
        {
            return null;
        }

        byte flbas = id[26];
        int format = (flbas & 0xf) | (((flbas >> 5) & 3) << 4);
        ReadOnlySpan<byte> lbaf = id.Slice(128 + (format * 4), 4);
        int lbads = lbaf[2];
        return new NvmeNamespace(nsze, lbads is >= 9 and < 32 ? 1u << lbads : 0, BinaryPrimitives.ReadUInt16LittleEndian(lbaf));
    }

    /// <summary>Bytes of the namespace.</summary>
    public ulong Bytes => Blocks * BlockBytes;
}
