using System.Buffers.Binary;

namespace VduseAot.Network.Nbd;

/// <summary>The transmission-phase request header, compact (28 bytes) or extended (32 bytes).</summary>
internal static unsafe class NbdWire
{
    /// <summary>Size of a compact request header.</summary>
    public const int CompactRequestBytes = 28;

    /// <summary>Size of an extended request header.</summary>
    public const int ExtendedRequestBytes = 32;

    /// <summary>Writes the request header at <paramref name="at"/>; returns its length.</summary>
    public static int WriteRequest(byte* at, bool extended, ushort type, ushort flags, ulong cookie, ulong offset, uint length)
    {
        var h = new System.Span<byte>(at, extended ? ExtendedRequestBytes : CompactRequestBytes);
        BinaryPrimitives.WriteUInt32BigEndian(h, extended ? NbdProto.NBD_EXTENDED_REQUEST_MAGIC : NbdProto.NBD_REQUEST_MAGIC);
        if (extended && type == NbdProto.NBD_CMD_WRITE)
        {
            flags |= NbdProto.NBD_CMD_FLAG_PAYLOAD_LEN;
        }

        BinaryPrimitives.WriteUInt16BigEndian(h.Slice(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(h.Slice(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(h.Slice(8), cookie);
        BinaryPrimitives.WriteUInt64BigEndian(h.Slice(16), offset);
        if (extended)
        {
            BinaryPrimitives.WriteUInt64BigEndian(h.Slice(24), length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(h.Slice(24), length);
        }

        return h.Length;
    }
}
