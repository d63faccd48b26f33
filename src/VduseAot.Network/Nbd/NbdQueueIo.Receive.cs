using System;
using System.Buffers.Binary;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network.Nbd;

/// <content>
/// Replies: simple replies, structured chunks and extended headers, in any order, matched by cookie;
/// read data goes straight into the guest's buffers. Anything that breaks the protocol (bad magic,
/// unknown cookie, a length that does not fit the command) drops the connection: its commands are
/// sent again on the next one.
/// </content>
internal sealed unsafe partial class NbdQueueIo
{
    // A payload being received into a slot's buffers, and what to do when it is complete.
    private ushort _payloadIndex;
    private bool _payloadEndsReply;

    // Bytes of an error chunk's message and trailing fields still to drop.
    private uint _skipLeft;
    private ushort _skipIndex;
    private bool _skipEndsReply;

    /// <summary>The last error the server returned (0: none yet).</summary>
    public uint LastServerError { get; private set; }

    private bool Skip()
    {
        uint take = Math.Min((uint)RxHave, _skipLeft);
        RxStart += (int)take;
        _skipLeft -= take;
        if (_skipLeft > 0)
        {
            return false;
        }

        if (_skipEndsReply)
        {
            ReplyDone(_skipIndex);
        }

        return Connected;
    }

    /// <inheritdoc />
    protected override Parse ParseOne()
    {
        if (_skipLeft > 0 && !Skip())
        {
            return Connected ? Parse.NeedMore : Parse.Broken;
        }

        int have = RxHave;
        byte* p = Rx + RxStart;
        if (have < 4)
        {
            return Parse.NeedMore;
        }

        uint magic = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p, 4));
        if (magic == NbdProto.NBD_SIMPLE_REPLY_MAGIC && !_extended)
        {
            return have < 16 ? Parse.NeedMore : SimpleReply(new ReadOnlySpan<byte>(p, 16));
        }

        bool structured = magic == NbdProto.NBD_STRUCTURED_REPLY_MAGIC && !_extended && _backend.Export.StructuredReplies;
        if (structured || (magic == NbdProto.NBD_EXTENDED_REPLY_MAGIC && _extended))
        {
            return Chunk(p, have, structured ? 20 : 32);
        }

        return Broken("a reply with bad magic 0x" + magic.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
    }

    private Parse SimpleReply(ReadOnlySpan<byte> h)
    {
        uint error = BinaryPrimitives.ReadUInt32BigEndian(h.Slice(4));
        if (!TryFind(BinaryPrimitives.ReadUInt64BigEndian(h.Slice(8)), out ushort index))
        {
            return Broken("a reply with an unknown cookie");
        }

        ref NbdCommand c = ref _commands[index];
        if (c.Type == NbdProto.NBD_CMD_READ && _backend.Export.StructuredReplies)
        {
            return Broken("a simple reply to a read after structured replies were agreed");
        }

        RxStart += 16;
        if (error != 0)
        {
            ServerError(index, error);
        }
        else if (c.Type == NbdProto.NBD_CMD_READ)
        {
            c.Covered = c.Length;
            return StartPayload(index, c.Offset - c.Base, c.Length, endsReply: true);
        }

        CommandDone(index);
        return Parse.Consumed;
    }

    private Parse Chunk(byte* p, int have, int headerBytes)
    {
        if (have < headerBytes)
        {
            return Parse.NeedMore;
        }

        var h = new ReadOnlySpan<byte>(p, headerBytes);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(h.Slice(4));
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(h.Slice(6));
        ulong length = headerBytes == 20 ? BinaryPrimitives.ReadUInt32BigEndian(h.Slice(16)) : BinaryPrimitives.ReadUInt64BigEndian(h.Slice(24));
        if (!TryFind(BinaryPrimitives.ReadUInt64BigEndian(h.Slice(8)), out ushort index))
        {
            return Broken("a reply chunk with an unknown cookie");
        }

        ref NbdCommand c = ref _commands[index];
        bool done = (flags & NbdProto.NBD_REPLY_FLAG_DONE) != 0;
        int fixedBytes = type switch
        {
            NbdProto.NBD_REPLY_TYPE_NONE => 0,
            NbdProto.NBD_REPLY_TYPE_OFFSET_DATA => 8,
            NbdProto.NBD_REPLY_TYPE_OFFSET_HOLE => 12,
            _ => (type & NbdProto.NBD_REPLY_TYPE_ERROR_BIT) != 0 ? 6 : -1,
        };
        if (fixedBytes < 0 || length < (ulong)fixedBytes || length > uint.MaxValue)
        {
            return Broken("a reply chunk of type " + type + " and length " + length);
        }

        if (have < headerBytes + fixedBytes)
        {
            return Parse.NeedMore;
        }

        var f = new ReadOnlySpan<byte>(p + headerBytes, fixedBytes);
        RxStart += headerBytes + fixedBytes;
        switch (type)
        {
            case NbdProto.NBD_REPLY_TYPE_NONE:
                if (length != 0 || !done)
                {
                    return Broken("an NBD_REPLY_TYPE_NONE chunk with a payload or without the DONE flag");
                }

                ReplyDone(index);
                return Parse.Consumed;
            case NbdProto.NBD_REPLY_TYPE_OFFSET_DATA:
            case NbdProto.NBD_REPLY_TYPE_OFFSET_HOLE:
                return Content(index, ref c, type, f, length, done);
            default:
                ServerError(index, BinaryPrimitives.ReadUInt32BigEndian(f));
                ushort messageBytes = BinaryPrimitives.ReadUInt16BigEndian(f.Slice(4));
                if (messageBytes > length - 6)
                {
                    return Broken("an error chunk whose message is longer than the chunk");
                }

                _skipLeft = (uint)(length - 6);
                _skipIndex = index;
                _skipEndsReply = done;
                if (_skipLeft == 0 && done)
                {
                    ReplyDone(index);
                }

                return Connected ? Parse.Consumed : Parse.Broken;
        }
    }

    private Parse Content(ushort index, ref NbdCommand c, ushort type, ReadOnlySpan<byte> f, ulong length, bool done)
    {
        ulong offset = BinaryPrimitives.ReadUInt64BigEndian(f);
        ulong bytes = type == NbdProto.NBD_REPLY_TYPE_OFFSET_DATA ? length - 8 : BinaryPrimitives.ReadUInt32BigEndian(f.Slice(8));
        if (c.Type != NbdProto.NBD_CMD_READ || (type == NbdProto.NBD_REPLY_TYPE_OFFSET_HOLE && length != 12)
            || bytes == 0 || offset < c.Offset || offset - c.Offset > c.Length || bytes > c.Length - (offset - c.Offset)
            || bytes > c.Length - c.Covered)
        {
            return Broken("a read chunk outside the read (offset " + offset + ", " + bytes + " bytes)");
        }

        c.Covered += (uint)bytes;
        if (type == NbdProto.NBD_REPLY_TYPE_OFFSET_HOLE)
        {
            ZeroGuest(Finisher.Slot(index), offset - c.Base, (uint)bytes);
            if (done)
            {
                ReplyDone(index);
            }

            return Connected ? Parse.Consumed : Parse.Broken;
        }

        return StartPayload(index, offset - c.Base, (uint)bytes, done);
    }

    /// <summary>Takes a payload into the slot's data at <paramref name="position"/>: copied from what came with the header, the rest received in place.</summary>
    private Parse StartPayload(ushort index, ulong position, uint bytes, bool endsReply)
    {
        _payloadIndex = index;
        _payloadEndsReply = endsReply;
        return ReceivePayload(GatherSegments(Finisher.Slot(index), position, bytes, RxIov));
    }

    /// <inheritdoc />
    protected override void PayloadDone()
    {
        if (_payloadEndsReply)
        {
            ReplyDone(_payloadIndex);
        }
    }

    /// <summary>The last chunk of a reply: a read must have been covered whole.</summary>
    private void ReplyDone(ushort index)
    {
        ref NbdCommand c = ref _commands[index];
        if (Tracks[index].Status == VirtioBlk.VIRTIO_BLK_S_OK && c.Type == NbdProto.NBD_CMD_READ && c.Covered != c.Length)
        {
            _ = Broken("a read reply that covered " + c.Covered + " of " + c.Length + " bytes");
            return;
        }

        CommandDone(index);
    }

    private bool TryFind(ulong cookie, out ushort index)
    {
        index = (ushort)cookie;
        return index < _commands.Length && Tracks[index].State == CommandState.Sent && _commands[index].Cookie == cookie;
    }

    private void ServerError(ushort index, uint error)
    {
        ServerFailed(index);
        LastServerError = error;
    }

    private void ZeroGuest(BlkSlot slot, ulong position, uint bytes) => FillGuest(slot, position, null, bytes);
}
