using System;
using System.Buffers.Binary;
using System.Text;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>Builds one generic-netlink request: nlmsghdr, genlmsghdr, then attributes (4-byte aligned).</summary>
internal sealed class NetlinkMessage
{
    private readonly byte[] _buffer = new byte[1024];
    private int _length;

    public NetlinkMessage(ushort family, byte command, byte version, uint sequence)
    {
        // nlmsghdr: len (patched in Bytes), type, flags, seq, pid (0: let the kernel fill in our port).
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), family);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), sequence);
        _buffer[16] = command;
        _buffer[17] = version;
        _length = 20;
    }

    /// <summary>Adds a NUL-terminated string attribute.</summary>
    public NetlinkMessage String(ushort type, string value)
    {
        int payload = Encoding.UTF8.GetByteCount(value) + 1;
        int total = 4 + payload;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), (ushort)total);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
        Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        _buffer[_length + 4 + payload - 1] = 0;
        _length += Align(total);
        return this;
    }

    /// <summary>Adds a u32 attribute.</summary>
    public NetlinkMessage U32(ushort type, uint value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length + 4), value);
        _length += 8;
        return this;
    }

    /// <summary>The finished message.</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        return _buffer.AsSpan(0, _length);
    }

    public static int Align(int n) => (n + Netlink.NLMSG_ALIGNTO - 1) & ~(Netlink.NLMSG_ALIGNTO - 1);
}
