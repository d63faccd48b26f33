using System;
using System.Buffers.Binary;
using System.Globalization;

namespace VduseAot.Network.NvmeTcp;

/// <summary>A 16-byte completion queue entry: the command-specific result, the command id and the status field.</summary>
public readonly record struct NvmeCompletion(ulong Result, ushort SubmissionHead, ushort CommandId, ushort Status)
{
    /// <summary>Reads an entry.</summary>
    public static NvmeCompletion Read(ReadOnlySpan<byte> cqe) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(cqe),
        BinaryPrimitives.ReadUInt16LittleEndian(cqe[8..]),
        BinaryPrimitives.ReadUInt16LittleEndian(cqe[12..]),
        (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(cqe[14..]) >> 1)); // bit 0 is the phase tag

    /// <summary>Writes an entry (for fake controllers).</summary>
    public void Write(Span<byte> cqe)
    {
        cqe[..NvmeProto.CqeBytes].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(cqe, Result);
        BinaryPrimitives.WriteUInt16LittleEndian(cqe[8..], SubmissionHead);
        BinaryPrimitives.WriteUInt16LittleEndian(cqe[12..], CommandId);
        BinaryPrimitives.WriteUInt16LittleEndian(cqe[14..], (ushort)(Status << 1));
    }

    /// <summary>The command succeeded.</summary>
    public bool Ok => StatusCode == 0 && StatusCodeType == 0;

    /// <summary>SC: the status code.</summary>
    public byte StatusCode => (byte)Status;

    /// <summary>SCT: the status code type (0 generic, 1 command specific, 2 media, 3 path).</summary>
    public int StatusCodeType => (Status >> 8) & 7;

    /// <summary>DNR: retrying the same command will fail again.</summary>
    public bool DoNotRetry => (Status & (1 << 14)) != 0;

    /// <summary>The status as a log line names it: "SCT 1 SC 0x82 (Connect invalid parameters)".</summary>
    public string Describe()
    {
        string? name = (StatusCodeType, StatusCode) switch
        {
            (0, 0x01) => "invalid opcode",
            (0, 0x02) => "invalid field in command",
            (0, 0x04) => "data transfer error",
            (0, 0x06) => "internal error",
            (0, 0x0b) => "invalid namespace or format",
            (0, 0x80) => "LBA out of range",
            (0, 0x81) => "capacity exceeded",
            (0, 0x82) => "namespace not ready",
            (1, 0x80) => "Connect incompatible format",
            (1, 0x81) => "Connect controller busy",
            (1, 0x82) => "Connect invalid parameters",
            (1, 0x84) => "Connect invalid host",
            (2, 0x81) => "unrecovered read error",
            (2, 0x80) => "write fault",
            _ => null,
        };
        return "SCT " + StatusCodeType + " SC 0x" + StatusCode.ToString("x2", CultureInfo.InvariantCulture) + (name != null ? " (" + name + ")" : "");
    }
}
