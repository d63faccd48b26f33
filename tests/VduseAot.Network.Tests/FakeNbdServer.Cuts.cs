using System;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading;
using VduseAot.Network.Nbd;

namespace VduseAot.Network.Tests;

/// <summary>Where the fake server cuts a connection while it answers a request.</summary>
internal enum FakeCut
{
    /// <summary>Not cut.</summary>
    None,

    /// <summary>Right after the request header: a write's data is not read, nothing is done.</summary>
    InRequest,

    /// <summary>After the request is done (a write is on the disk), before its reply is sent.</summary>
    BeforeReply,

    /// <summary>Where this reply would go, after the replies sent before it in full.</summary>
    BetweenReplies,

    /// <summary>Inside the header of one of the reply's messages (a structured read has several).</summary>
    InHeader,

    /// <summary>After the header of one of the reply's messages, inside what follows it (fixed fields, data).</summary>
    InPayload,

    /// <summary>Bytes with no magic where this reply would go: the client must drop the connection itself.</summary>
    Garbage,
}

/// <content>
/// Cuts: a connection dropped by the server at a point drawn from its seeded random, so that every
/// place a client can lose a connection (sending, waiting, in a header, in a payload) is reached; and
/// garbage, so that the client drops one itself in the middle of parsing.
/// </content>
internal sealed partial class FakeNbdServer
{
    private readonly int[] _cuts = new int[Enum.GetValues<FakeCut>().Length];
    private int _cutsDrawn;

    /// <summary>Cuts made so far of <paramref name="kind"/>.</summary>
    public int Cuts(FakeCut kind) => Volatile.Read(ref _cuts[(int)kind]);

    /// <summary>Cuts made so far, of any kind.</summary>
    public int AllCuts
    {
        get
        {
            int n = 0;
            for (int i = 1; i < _cuts.Length; i++)
            {
                n += Cuts((FakeCut)i);
            }

            return n;
        }
    }

    /// <summary>A number in [0, <paramref name="max"/>) from the server's random, shared by its connection threads.</summary>
    private int Next(int max)
    {
        lock (_random)
        {
            return _random.Next(max);
        }
    }

    private FakeCut DrawCut()
    {
        if (_behaviour.CutChance <= 0 || Volatile.Read(ref _cutsDrawn) >= _behaviour.MaxCuts)
        {
            return FakeCut.None;
        }

        lock (_random)
        {
            if (_random.NextDouble() >= _behaviour.CutChance)
            {
                return FakeCut.None;
            }

            Interlocked.Increment(ref _cutsDrawn);
            return (FakeCut)_random.Next(1, _cuts.Length);
        }
    }

    private void Cut(NetworkStream s, FakeCut kind)
    {
        Interlocked.Increment(ref _cuts[(int)kind]);
        s.Socket.Close();
    }

    /// <summary>Sends <paramref name="reply"/>, or as much of it as <paramref name="cut"/> says and cuts; false when cut.</summary>
    private bool WriteReply(NetworkStream s, bool extended, byte[] reply, FakeCut cut)
    {
        if (cut is FakeCut.None or FakeCut.Garbage)
        {
            if (cut == FakeCut.Garbage)
            {
                // The connection stays open: the client's shutdown ends it (this thread then reads EOF).
                Interlocked.Increment(ref _cuts[(int)cut]);
                s.Write(new byte[32]);
            }

            s.Write(reply);
            return true;
        }

        int at = 0;
        if (cut != FakeCut.BetweenReplies)
        {
            // One message of the reply (a simple reply, or one chunk); earlier ones go whole.
            (int start, int header, int end) = Message(reply, extended, Next(MessageCount(reply, extended)));
            at = cut == FakeCut.InPayload && end > start + header
                ? start + header + Next(end - start - header)
                : start + 1 + Next(header - 1);
            cut = at >= start + header ? FakeCut.InPayload : FakeCut.InHeader; // a reply without a payload is cut in a header
        }

        s.Write(reply, 0, at);
        s.Flush();
        Cut(s, cut);
        return false;
    }

    private static int MessageCount(byte[] reply, bool extended)
    {
        int n = 0;
        for (int at = 0; at < reply.Length; n++)
        {
            at = Message(reply, extended, at, out _);
        }

        return n;
    }

    /// <summary>Start, header bytes and end of message <paramref name="index"/> of a reply.</summary>
    private static (int Start, int Header, int End) Message(byte[] reply, bool extended, int index)
    {
        int at = 0;
        for (int i = 0; i < index; i++)
        {
            at = Message(reply, extended, at, out _);
        }

        int end = Message(reply, extended, at, out int header);
        return (at, header, end);
    }

    /// <summary>Parses the message at <paramref name="at"/>; returns where the next one starts.</summary>
    private static int Message(byte[] reply, bool extended, int at, out int header)
    {
        var span = reply.AsSpan(at);
        if (BinaryPrimitives.ReadUInt32BigEndian(span) == NbdProto.NBD_SIMPLE_REPLY_MAGIC)
        {
            header = 16;
            return reply.Length; // a simple reply is a reply's only message: a read's data is the rest
        }

        header = extended ? 32 : 20;
        ulong length = extended ? BinaryPrimitives.ReadUInt64BigEndian(span.Slice(24)) : BinaryPrimitives.ReadUInt32BigEndian(span.Slice(16));
        return at + header + (int)length;
    }
}
