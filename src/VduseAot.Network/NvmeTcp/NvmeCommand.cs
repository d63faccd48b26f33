using System;
using System.Buffers.Binary;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// Writes 64-byte submission queue entries: the common fields (opcode, SGL data pointer, command id,
/// namespace, cdw10-15) and the fabrics commands' own layout (fctype, Connect's queue fields, the
/// property offset and value). Offsets are the specifications'.
/// </summary>
public static class NvmeCommand
{
    private const int CommandIdOffset = 2;
    private const int NsidOffset = 4;
    private const int SglOffset = 24;
    private const int Cdw10Offset = 40;

    /// <summary>Clears <paramref name="sqe"/> and writes opcode, SGL flag, command id and namespace.</summary>
    public static void Start(Span<byte> sqe, byte opcode, ushort commandId, uint nsid = 0)
    {
        sqe[..NvmeProto.SqeBytes].Clear();
        sqe[0] = opcode;
        sqe[1] = NvmeProto.NVME_CMD_SGL_METABUF;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe[CommandIdOffset..], commandId);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[NsidOffset..], nsid);
    }

    /// <summary>The data pointer: one SGL descriptor of <paramref name="type"/> over <paramref name="length"/> bytes.</summary>
    public static void Sgl(Span<byte> sqe, byte type, uint length, ulong address = 0)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(sqe[SglOffset..], address);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[(SglOffset + 8)..], length);
        sqe[SglOffset + 15] = type;
    }

    /// <summary>Command dword <paramref name="index"/> (10 to 15).</summary>
    public static void Cdw(Span<byte> sqe, int index, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[(Cdw10Offset + ((index - 10) * 4))..], value);

    /// <summary>The command id of an entry.</summary>
    public static ushort CommandId(ReadOnlySpan<byte> sqe) => BinaryPrimitives.ReadUInt16LittleEndian(sqe[CommandIdOffset..]);

    /// <summary>A fabrics command of <paramref name="fctype"/>.</summary>
    public static void Fabrics(Span<byte> sqe, byte fctype, ushort commandId)
    {
        Start(sqe, NvmeProto.nvme_fabrics_command, commandId);
        sqe[4] = fctype;
    }

    /// <summary>
    /// Fabrics Connect for queue <paramref name="queueId"/> (0: admin) of <paramref name="queueSize"/>
    /// entries, keep-alive timeout <paramref name="keepAliveMs"/> (admin only); its 1024 bytes of data
    /// go in the capsule.
    /// </summary>
    public static void Connect(Span<byte> sqe, ushort commandId, ushort queueId, ushort queueSize, uint keepAliveMs)
    {
        Fabrics(sqe, NvmeProto.nvme_fabrics_type_connect, commandId);
        Sgl(sqe, NvmeProto.NVME_SGL_FMT_DATA_DESC_OFFSET, NvmeProto.ConnectDataBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(sqe[40..], 0); // recfmt 0
        BinaryPrimitives.WriteUInt16LittleEndian(sqe[42..], queueId);
        BinaryPrimitives.WriteUInt16LittleEndian(sqe[44..], (ushort)(queueSize - 1)); // 0-based

        // An I/O queue asks for SQ flow control off: the host never needs SQHD (it keeps at most the
        // queue size minus one outstanding), and the controller may then end a read with C2HData's
        // SUCCESS flag instead of a response capsule, one PDU less per read.
        sqe[46] = queueId != 0 ? NvmeProto.NVME_CONNECT_DISABLE_SQFLOW : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[48..], keepAliveMs);
    }

    /// <summary>Connect's data: host identifier, controller id, subsystem and host NQN (NUL-padded).</summary>
    public static void ConnectData(Span<byte> data, Guid hostId, ushort controllerId, string subsystemNqn, string hostNqn)
    {
        ArgumentNullException.ThrowIfNull(subsystemNqn);
        ArgumentNullException.ThrowIfNull(hostNqn);
        data[..NvmeProto.ConnectDataBytes].Clear();
        hostId.TryWriteBytes(data[..16], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16LittleEndian(data[16..], controllerId);
        System.Text.Encoding.ASCII.GetBytes(subsystemNqn.AsSpan(0, Math.Min(subsystemNqn.Length, 255)), data.Slice(256, 256));
        System.Text.Encoding.ASCII.GetBytes(hostNqn.AsSpan(0, Math.Min(hostNqn.Length, 255)), data.Slice(512, 256));
    }

    /// <summary>Fabrics Property Get of the 4- or 8-byte register at <paramref name="offset"/>.</summary>
    public static void PropertyGet(Span<byte> sqe, ushort commandId, uint offset, bool eightBytes)
    {
        Fabrics(sqe, NvmeProto.nvme_fabrics_type_property_get, commandId);
        sqe[40] = eightBytes ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[44..], offset);
    }

    /// <summary>Fabrics Property Set of the 4-byte register at <paramref name="offset"/>.</summary>
    public static void PropertySet(Span<byte> sqe, ushort commandId, uint offset, uint value)
    {
        Fabrics(sqe, NvmeProto.nvme_fabrics_type_property_set, commandId);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe[44..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(sqe[48..], value);
    }

    /// <summary>Identify <paramref name="cns"/> (of namespace <paramref name="nsid"/>): 4096 bytes come back in C2HData.</summary>
    public static void Identify(Span<byte> sqe, ushort commandId, byte cns, uint nsid)
    {
        Start(sqe, NvmeProto.nvme_admin_identify, commandId, nsid);
        Sgl(sqe, NvmeProto.NVME_TRANSPORT_SGL_DATA_DESC, NvmeProto.IdentifyBytes);
        Cdw(sqe, 10, cns);
    }

    /// <summary>Set Features Number of Queues: <paramref name="queues"/> I/O submission and completion queues.</summary>
    public static void SetQueueCount(Span<byte> sqe, ushort commandId, int queues)
    {
        Start(sqe, NvmeProto.nvme_admin_set_features, commandId);
        Cdw(sqe, 10, NvmeProto.NVME_FEAT_NUM_QUEUES);
        uint zeroBased = (uint)(queues - 1);
        Cdw(sqe, 11, zeroBased | (zeroBased << 16));
    }

    /// <summary>Keep Alive.</summary>
    public static void KeepAlive(Span<byte> sqe, ushort commandId) => Start(sqe, NvmeProto.nvme_admin_keep_alive, commandId);
}
