using System;
using System.Buffers.Binary;
using System.Text;

namespace VduseAot.Network.Nbd;

/// <summary>
/// The client side of the fixed newstyle negotiation, blocking: extended headers if the server has
/// them, else structured replies, then NBD_OPT_GO asking for NBD_INFO_BLOCK_SIZE. Runs before a
/// connection is handed to a queue thread (at start-up and on the connector thread), never on the
/// request path. Any refusal or malformed answer throws <see cref="NetworkException"/> quoting the server.
/// </summary>
public static class NbdHandshake
{
    /// <summary>The oldstyle negotiation's second magic, refused with a clear message.</summary>
    private const ulong OldstyleMagic = 0x00420281861253;

    // Option replies carry at most an export description or an error message; anything longer is garbage.
    private const int MaxOptionReply = 1 << 16;

    /// <summary>Negotiates <paramref name="export"/> on connected socket <paramref name="socket"/>.</summary>
    public static NbdExport Negotiate(BlockingSocket socket, string export, string peer)
    {
        ArgumentNullException.ThrowIfNull(export);
        Span<byte> hello = stackalloc byte[18];
        socket.Read(hello, "the greeting");
        if (BinaryPrimitives.ReadUInt64BigEndian(hello) != NbdProto.NBDMAGIC)
        {
            throw new NetworkException(peer + " is not an NBD server (no NBDMAGIC in its greeting)");
        }

        ulong second = BinaryPrimitives.ReadUInt64BigEndian(hello.Slice(8));
        if (second == OldstyleMagic)
        {
            throw new NetworkException(peer + " speaks the oldstyle NBD negotiation, which has no export names: run it in newstyle mode");
        }

        ushort handshakeFlags = BinaryPrimitives.ReadUInt16BigEndian(hello.Slice(16));
        if (second != NbdProto.IHAVEOPT || (handshakeFlags & NbdProto.NBD_FLAG_FIXED_NEWSTYLE) == 0)
        {
            throw new NetworkException(peer + " does not speak the fixed newstyle NBD negotiation");
        }

        Span<byte> clientFlags = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(clientFlags, NbdProto.NBD_FLAG_C_FIXED_NEWSTYLE
            | ((handshakeFlags & NbdProto.NBD_FLAG_NO_ZEROES) != 0 ? NbdProto.NBD_FLAG_C_NO_ZEROES : 0));
        socket.Write(clientFlags, "the handshake");

        bool extended = AskForFlag(socket, NbdProto.NBD_OPT_EXTENDED_HEADERS, peer);
        bool structured = extended || AskForFlag(socket, NbdProto.NBD_OPT_STRUCTURED_REPLY, peer);
        NbdExport info = Go(socket, export, peer);
        return info with { StructuredReplies = structured, ExtendedHeaders = extended };
    }

    /// <summary>Sends an option without data; true on NBD_REP_ACK, false on any error reply.</summary>
    private static bool AskForFlag(BlockingSocket socket, uint option, string peer)
    {
        SendOption(socket, option, ReadOnlySpan<byte>.Empty);
        (uint reply, byte[] _) = ReadReply(socket, option, peer);
        return reply == NbdProto.NBD_REP_ACK;
    }

    private static NbdExport Go(BlockingSocket socket, string export, string peer)
    {
        byte[] name = Encoding.UTF8.GetBytes(export);
        var data = new byte[4 + name.Length + 2 + 2];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)name.Length);
        name.CopyTo(data, 4);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + name.Length), 1);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(6 + name.Length), NbdProto.NBD_INFO_BLOCK_SIZE);
        SendOption(socket, NbdProto.NBD_OPT_GO, data);
        NbdExport info = new();
        bool sawExport = false;
        while (true)
        {
            (uint reply, byte[] payload) = ReadReply(socket, NbdProto.NBD_OPT_GO, peer);
            if (reply == NbdProto.NBD_REP_ACK)
            {
                return sawExport ? info : throw new NetworkException(peer + " accepted export '" + export + "' without telling its size (no NBD_INFO_EXPORT)");
            }

            if ((reply & NbdProto.NBD_REP_FLAG_ERROR) != 0)
            {
                string message = payload.Length > 0 ? ": " + Encoding.UTF8.GetString(payload) : "";
                throw new NetworkException(peer + " refused export '" + export + "': " + NbdProto.ReplyName(reply) + message);
            }

            if (reply != NbdProto.NBD_REP_INFO || payload.Length < 2)
            {
                throw new NetworkException(peer + " answered NBD_OPT_GO with " + NbdProto.ReplyName(reply) + " (" + payload.Length + " bytes)");
            }

            info = ApplyInfo(info, payload, peer, ref sawExport);
        }
    }

    private static NbdExport ApplyInfo(NbdExport info, ReadOnlySpan<byte> p, string peer, ref bool sawExport)
    {
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(p);
        switch (type)
        {
            case NbdProto.NBD_INFO_EXPORT when p.Length == 12:
                sawExport = true;
                return info with { Size = BinaryPrimitives.ReadUInt64BigEndian(p.Slice(2)), Flags = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(10)) };
            case NbdProto.NBD_INFO_BLOCK_SIZE when p.Length == 14:
                uint min = BinaryPrimitives.ReadUInt32BigEndian(p.Slice(2));
                uint preferred = BinaryPrimitives.ReadUInt32BigEndian(p.Slice(6));
                uint max = BinaryPrimitives.ReadUInt32BigEndian(p.Slice(10));
                if (!uint.IsPow2(min) || min > 65536 || !uint.IsPow2(preferred) || preferred < min || max < preferred)
                {
                    throw new NetworkException(peer + " gave impossible block sizes (minimum " + min + ", preferred " + preferred + ", maximum " + max + ")");
                }

                return info with { MinimumBlock = min, PreferredBlock = preferred, MaximumPayload = max };
            case NbdProto.NBD_INFO_EXPORT:
            case NbdProto.NBD_INFO_BLOCK_SIZE:
                throw new NetworkException(peer + " sent NBD_INFO type " + type + " of " + p.Length + " bytes");
            default:
                return info; // names and descriptions: nothing the device uses
        }
    }

    private static void SendOption(BlockingSocket socket, uint option, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, NbdProto.IHAVEOPT);
        BinaryPrimitives.WriteUInt32BigEndian(header.Slice(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(header.Slice(12), (uint)data.Length);
        socket.Write(header, "option negotiation");
        if (data.Length > 0)
        {
            socket.Write(data, "option negotiation");
        }
    }

    private static (uint Reply, byte[] Payload) ReadReply(BlockingSocket socket, uint option, string peer)
    {
        Span<byte> header = stackalloc byte[20];
        socket.Read(header, "option negotiation");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(16));
        if (BinaryPrimitives.ReadUInt64BigEndian(header) != NbdProto.NBD_OPT_REPLY_MAGIC
            || BinaryPrimitives.ReadUInt32BigEndian(header.Slice(8)) != option || length > MaxOptionReply)
        {
            throw new NetworkException(peer + " sent a malformed option reply (bad magic, option or length)");
        }

        var payload = new byte[length];
        socket.Read(payload, "option negotiation");
        return (BinaryPrimitives.ReadUInt32BigEndian(header.Slice(12)), payload);
    }
}
