using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using VduseAot.Network.Nbd;

namespace VduseAot.Network.Tests;

/// <summary>How the fake server answers.</summary>
internal sealed record FakeNbdBehaviour
{
    public bool OfferExtendedHeaders { get; init; }

    public bool OfferStructuredReplies { get; init; } = true;

    public ushort Flags { get; init; } = NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_SEND_FLUSH | NbdProto.NBD_FLAG_SEND_TRIM
        | NbdProto.NBD_FLAG_SEND_WRITE_ZEROES | NbdProto.NBD_FLAG_CAN_MULTI_CONN;

    public uint MaxPayload { get; init; } = 32u << 20;

    public uint MinimumBlock { get; init; } = 1;

    public uint PreferredBlock { get; init; } = 4096;

    /// <summary>Replies held back and then sent in a shuffled order (1: in order).</summary>
    public int ReorderWindow { get; init; } = 4;

    /// <summary>Reads answered in several OFFSET_DATA / OFFSET_HOLE chunks in random order.</summary>
    public bool SplitReads { get; init; } = true;

    /// <summary>The connection is dropped after this many requests (per connection; 0: never).</summary>
    public int DropAfter { get; init; }

    /// <summary>Connections that drop; later ones run to the end.</summary>
    public int DroppingConnections { get; init; } = int.MaxValue;

    /// <summary>After this many requests a garbage reply is sent, once (0: never).</summary>
    public int GarbageAfter { get; init; }

    /// <summary>Reads of this offset fail with NBD_EIO.</summary>
    public ulong? FailReadsAt { get; init; }

    /// <summary>
    /// Reads, writes, trims and write-zeroes whose byte range (offset, length) this says is bad fail with
    /// NBD_EIO and change nothing, as a disk's bad sectors do: the same command fails again when resent.
    /// </summary>
    public Func<ulong, ulong, bool>? FailRange { get; init; }

    /// <summary>Seeds the server's choices (reply order, read chunks, cuts); null: Random.Shared.</summary>
    public int? Seed { get; init; }

    /// <summary>Chance per request that the connection is cut while it is being answered (see <see cref="FakeCut"/>).</summary>
    public double CutChance { get; init; }

    /// <summary>Cuts drawn at most, so that a run always ends.</summary>
    public int MaxCuts { get; init; } = int.MaxValue;
}

/// <summary>
/// An NBD server in the test process on a unix socket: fixed newstyle, structured or extended replies,
/// a byte array as the export. It reorders replies, splits reads into chunks (holes for zeroes), drops
/// connections or sends garbage where told, to test the client against what real servers may do.
/// </summary>
internal sealed partial class FakeNbdServer : IDisposable
{
    private readonly FakeUnixServer _server;
    private readonly FakeNbdBehaviour _behaviour;
    private readonly Random _random;
    private int _garbageSent;

    public FakeNbdServer(string path, ulong size, FakeNbdBehaviour? behaviour = null, string export = "disk")
    {
        SocketPath = path;
        ExportName = export;
        Disk = new byte[size];
        _behaviour = behaviour ?? new FakeNbdBehaviour();
        _random = _behaviour.Seed is int seed ? new Random(seed) : Random.Shared;
        _server = new FakeUnixServer(path, "fake-nbd", Serve);
    }

    public string SocketPath { get; }

    public string ExportName { get; }

    public byte[] Disk { get; }

    public int Connections => _server.Connections;

    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public int Flushes { get; private set; }

    public NbdUri Uri => NbdUri.TryParse("nbd+unix:///" + ExportName + "?socket=" + SocketPath, out _)!;

    private void Serve(Socket client, int number)
    {
        try
        {
            using var stream = new NetworkStream(client, ownsSocket: true);
            (bool extended, bool structured)? mode = Negotiate(stream);
            if (mode is (bool extended, bool structured))
            {
                Transmit(stream, extended, structured, number);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // The client went away, or the test told us to drop it.
        }
    }

    private (bool, bool)? Negotiate(NetworkStream s)
    {
        var hello = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(hello, NbdProto.NBDMAGIC);
        BinaryPrimitives.WriteUInt64BigEndian(hello.AsSpan(8), NbdProto.IHAVEOPT);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(16), NbdProto.NBD_FLAG_FIXED_NEWSTYLE | NbdProto.NBD_FLAG_NO_ZEROES);
        s.Write(hello);
        ReadExactly(s, 4);
        bool extended = false, structured = false;
        while (true)
        {
            byte[] h = ReadExactly(s, 16);
            uint option = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8));
            byte[] data = ReadExactly(s, (int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)));
            switch (option)
            {
                case NbdProto.NBD_OPT_EXTENDED_HEADERS when _behaviour.OfferExtendedHeaders:
                    extended = structured = true;
                    OptionReply(s, option, NbdProto.NBD_REP_ACK, []);
                    break;
                case NbdProto.NBD_OPT_STRUCTURED_REPLY when _behaviour.OfferStructuredReplies:
                    structured = true;
                    OptionReply(s, option, NbdProto.NBD_REP_ACK, []);
                    break;
                case NbdProto.NBD_OPT_GO:
                    string name = Encoding.UTF8.GetString(data, 4, (int)BinaryPrimitives.ReadUInt32BigEndian(data));
                    if (name != ExportName)
                    {
                        OptionReply(s, option, NbdProto.NBD_REP_ERR_UNKNOWN, Encoding.UTF8.GetBytes("no export named '" + name + "'"));
                        continue;
                    }

                    var info = new byte[12];
                    BinaryPrimitives.WriteUInt16BigEndian(info, NbdProto.NBD_INFO_EXPORT);
                    BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), (ulong)Disk.Length);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), _behaviour.Flags);
                    OptionReply(s, option, NbdProto.NBD_REP_INFO, info);
                    var sizes = new byte[14];
                    BinaryPrimitives.WriteUInt16BigEndian(sizes, NbdProto.NBD_INFO_BLOCK_SIZE);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(2), _behaviour.MinimumBlock);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(6), _behaviour.PreferredBlock);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(10), _behaviour.MaxPayload);
                    OptionReply(s, option, NbdProto.NBD_REP_INFO, sizes);
                    OptionReply(s, option, NbdProto.NBD_REP_ACK, []);
                    return (extended, structured);
                case NbdProto.NBD_OPT_ABORT:
                    return null;
                default:
                    OptionReply(s, option, NbdProto.NBD_REP_ERR_UNSUP, []);
                    break;
            }
        }
    }

    private static void OptionReply(NetworkStream s, uint option, uint type, byte[] data)
    {
        var h = new byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(h, NbdProto.NBD_OPT_REPLY_MAGIC);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), (uint)data.Length);
        s.Write(h);
        s.Write(data);
    }

    private void Transmit(NetworkStream s, bool extended, bool structured, int connection)
    {
        var held = new List<(byte[] Bytes, FakeCut Cut)>();
        int served = 0;
        while (true)
        {
            byte[] h = ReadExactly(s, extended ? 32 : 28);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(6));
            ulong cookie = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8));
            ulong offset = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(16));
            ulong length = extended ? BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(24)) : BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(24));
            if (type == NbdProto.NBD_CMD_DISC)
            {
                return;
            }

            served++;
            Interlocked.Increment(ref _requests);
            if (_behaviour.DropAfter > 0 && served > _behaviour.DropAfter && connection <= _behaviour.DroppingConnections)
            {
                s.Socket.Close(); // mid-stream: the request is lost with the connection
                return;
            }

            if (_behaviour.GarbageAfter > 0 && served == _behaviour.GarbageAfter && Interlocked.Exchange(ref _garbageSent, 1) == 0)
            {
                s.Write(new byte[32]); // bad magic
                s.Flush();
            }

            FakeCut cut = DrawCut();
            if (cut == FakeCut.InRequest || cut == FakeCut.BeforeReply)
            {
                if (cut == FakeCut.BeforeReply)
                {
                    _ = Execute(s, extended, structured, type, cookie, offset, length); // done, never answered
                }

                Cut(s, cut);
                return;
            }

            held.Add((Execute(s, extended, structured, type, cookie, offset, length), cut));
            if (held.Count >= _behaviour.ReorderWindow || s.Socket.Available == 0)
            {
                Shuffle(held);
                foreach ((byte[] reply, FakeCut replyCut) in held)
                {
                    if (!WriteReply(s, extended, reply, replyCut))
                    {
                        return;
                    }
                }

                held.Clear();
            }
        }
    }

    private byte[] Execute(NetworkStream s, bool extended, bool structured, ushort type, ulong cookie, ulong offset, ulong length)
    {
        var reply = new MemoryStream();
        bool bad = type != NbdProto.NBD_CMD_FLUSH && _behaviour.FailRange?.Invoke(offset, length) == true;
        uint error = bad ? 5u : 0;
        switch (type)
        {
            case NbdProto.NBD_CMD_WRITE:
                byte[] data = ReadExactly(s, (int)length);
                if (!bad)
                {
                    data.CopyTo(Disk, (int)offset);
                }

                break;
            case NbdProto.NBD_CMD_READ:
                if (bad && structured && Next(2) == 0)
                {
                    // Some data first: the error chunk that follows must still fail the read.
                    ulong n = Math.Min(length, 512);
                    ChunkHeader(reply, extended, 0, NbdProto.NBD_REPLY_TYPE_OFFSET_DATA, cookie, offset, 8 + n);
                    WriteBig(reply, offset);
                    reply.Write(Disk, (int)offset, (int)n);
                }

                if (bad || offset == _behaviour.FailReadsAt)
                {
                    error = 5;
                    break;
                }

                if (!structured)
                {
                    Simple(reply, 0, cookie);
                    reply.Write(Disk, (int)offset, (int)length);
                    return reply.ToArray();
                }

                ReadChunks(reply, extended, cookie, offset, length);
                return reply.ToArray();
            case NbdProto.NBD_CMD_FLUSH:
                Flushes++;
                error = offset != 0 || length != 0 ? 22u : 0; // as nbdkit: a flush has no range
                break;
            case NbdProto.NBD_CMD_TRIM:
            case NbdProto.NBD_CMD_WRITE_ZEROES:
                if (!bad)
                {
                    Array.Clear(Disk, (int)offset, (int)length);
                }

                break;
        }

        if (!structured || (!extended && Next(2) == 0 && type != NbdProto.NBD_CMD_READ))
        {
            Simple(reply, error, cookie);
        }
        else if (error != 0)
        {
            ErrorChunk(reply, extended, cookie, offset, error);
        }
        else
        {
            ChunkHeader(reply, extended, NbdProto.NBD_REPLY_FLAG_DONE, NbdProto.NBD_REPLY_TYPE_NONE, cookie, offset, 0);
        }

        return reply.ToArray();
    }

    private void ReadChunks(MemoryStream reply, bool extended, ulong cookie, ulong offset, ulong length)
    {
        // Pieces of 1 to 3 parts of the range, in random order; all-zero pieces as holes.
        var pieces = new List<(ulong Offset, ulong Length)>();
        ulong at = offset;
        while (at < offset + length)
        {
            ulong take = _behaviour.SplitReads ? Math.Min((ulong)(Next(2) + 1) * 512, offset + length - at) : length;
            pieces.Add((at, take));
            at += take;
        }

        Shuffle(pieces);
        bool trailingNone = Next(4) == 0; // the spec lets a reply end with an empty NONE chunk instead
        for (int i = 0; i < pieces.Count; i++)
        {
            (ulong o, ulong n) = pieces[i];
            ushort flags = i == pieces.Count - 1 && !trailingNone ? NbdProto.NBD_REPLY_FLAG_DONE : (ushort)0;
            if (Array.TrueForAll(Disk.AsSpan((int)o, (int)n).ToArray(), b => b == 0))
            {
                ChunkHeader(reply, extended, flags, NbdProto.NBD_REPLY_TYPE_OFFSET_HOLE, cookie, offset, 12);
                WriteBig(reply, o);
                WriteBig(reply, (uint)n);
            }
            else
            {
                ChunkHeader(reply, extended, flags, NbdProto.NBD_REPLY_TYPE_OFFSET_DATA, cookie, offset, 8 + n);
                WriteBig(reply, o);
                reply.Write(Disk, (int)o, (int)n);
            }
        }

        if (trailingNone)
        {
            ChunkHeader(reply, extended, NbdProto.NBD_REPLY_FLAG_DONE, NbdProto.NBD_REPLY_TYPE_NONE, cookie, offset, 0);
        }
    }

    private static void Simple(MemoryStream r, uint error, ulong cookie)
    {
        WriteBig(r, NbdProto.NBD_SIMPLE_REPLY_MAGIC);
        WriteBig(r, error);
        WriteBig(r, cookie);
    }

    private static void ErrorChunk(MemoryStream r, bool extended, ulong cookie, ulong offset, uint error)
    {
        byte[] message = Encoding.UTF8.GetBytes("injected");
        ChunkHeader(r, extended, NbdProto.NBD_REPLY_FLAG_DONE, NbdProto.NBD_REPLY_TYPE_ERROR, cookie, offset, 6 + (ulong)message.Length);
        WriteBig(r, error);
        WriteBig(r, (ushort)message.Length);
        r.Write(message);
    }

    private static void ChunkHeader(MemoryStream r, bool extended, ushort flags, ushort type, ulong cookie, ulong offset, ulong length)
    {
        WriteBig(r, extended ? NbdProto.NBD_EXTENDED_REPLY_MAGIC : NbdProto.NBD_STRUCTURED_REPLY_MAGIC);
        WriteBig(r, flags);
        WriteBig(r, type);
        WriteBig(r, cookie);
        if (extended)
        {
            WriteBig(r, offset);
            WriteBig(r, length);
        }
        else
        {
            WriteBig(r, (uint)length);
        }
    }

    private static void WriteBig(MemoryStream r, ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        r.Write(b);
    }

    private static void WriteBig(MemoryStream r, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        r.Write(b);
    }

    private static void WriteBig(MemoryStream r, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        r.Write(b);
    }

    private void Shuffle<T>(List<T> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static byte[] ReadExactly(NetworkStream s, int n)
    {
        var b = new byte[n];
        s.ReadExactly(b);
        return b;
    }

    public void Dispose() => _server.Dispose();
}
