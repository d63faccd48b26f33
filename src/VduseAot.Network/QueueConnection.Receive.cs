using System;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network;

/// <content>
/// Replies: one receive at a time takes whatever the socket holds into a 64 KiB buffer, and the
/// protocol parses every complete message in it (<see cref="ParseOne"/>). A payload (read data, with
/// whatever padding and digest the protocol frames it in) is described as iovecs; what of it came with
/// the header is copied, the rest received in place with MSG_WAITALL and the next header receive
/// linked behind it. Anything that breaks the protocol drops the connection.
/// </content>
internal abstract unsafe partial class QueueConnection
{
    // One receive takes whatever the socket holds up to this: at a queue depth of 16 that is
    // every reply outstanding, headers and 4 KiB reads' data together, parsed without a further
    // round trip through io_uring. A read's data that came in it is copied into the guest (at most
    // this much per reply); the rest of a larger read is received in place. In the VM bench the copy
    // costs less than the receives it saves: NBD 4k random reads at QD16 went from 525 to 845 IOPS
    // with 16 KiB, and from 2,379 to 3,212 (1.06x to 1.41x qemu-storage-daemon, 2 queues 1.13x to
    // 1.63x) with 64 KiB, which takes some 15 replies where 16 KiB took 3 and a piece.
    private const int RxBytes = 65536 + 64;

    private msghdr* _rxMsg;
    private int _rxIovFirst;
    private int _rxIovCount;

    /// <summary>What one parse step did.</summary>
    protected enum Parse
    {
        /// <summary>The buffer holds no complete message: receive more.</summary>
        NeedMore,
        /// <summary>A message was taken: parse the next.</summary>
        Consumed,
        /// <summary>A payload receive is armed: parsing resumes after it.</summary>
        Receiving,
        /// <summary>The connection is being dropped.</summary>
        Broken,
    }

    /// <summary>The receive buffer.</summary>
    protected byte* Rx { get; private set; }

    /// <summary>Where the unparsed bytes of <see cref="Rx"/> start.</summary>
    protected int RxStart { get; set; }

    /// <summary>Where the received bytes of <see cref="Rx"/> end.</summary>
    protected int RxEnd { get; set; }

    /// <summary>Bytes received and not parsed yet.</summary>
    protected int RxHave => RxEnd - RxStart;

    /// <summary>
    /// Iovecs for a payload (the slot's segments and two more), and scratch while no payload receive is
    /// using them.
    /// </summary>
    protected iovec* RxIov { get; private set; }

    private void ArmReceive()
    {
        if (RxStart > 0)
        {
            int have = RxHave;
            Buffer.MemoryCopy(Rx + RxStart, Rx, RxBytes, have);
            RxStart = 0;
            RxEnd = have;
        }

        io_uring_sqe* sqe = NextSqeOrLose();
        if (sqe == null)
        {
            return;
        }

        SqePrep.Recv(sqe, SocketFd, Rx + RxEnd, (uint)(RxBytes - RxEnd), 0, BlkQueueUserDataCodec.EncodeConnection(Tag(OpRecv)));
        _receives++;
    }

    private void OnReceived(int result)
    {
        _receives--;
        if (result == -(int)Errno.ECANCELED)
        {
            return; // linked behind a payload receive that came up short: it is armed again with the payload
        }

        if (result <= 0)
        {
            LoseReceive(result);
            return;
        }

        RxEnd += result;
        ParseAll();
    }

    private void LoseReceive(int result) =>
        Lose(result == 0 ? "the server closed the connection" : "receive failed: " + ((Errno)(-result)).Describe());

    private void OnPayloadReceived(int result)
    {
        _receives--;
        if (result <= 0)
        {
            LoseReceive(result);
            return;
        }

        // Complete: the header receive linked behind it takes the next reply, nothing to arm here.
        _rxIovFirst = IovecCursor.Advance(RxIov, _rxIovFirst, _rxIovCount, (uint)result);
        if (_rxIovFirst < _rxIovCount)
        {
            SubmitPayloadReceive();
            return;
        }

        PayloadDone();
    }

    /// <summary>Parses every complete message in the buffer; arms the next receive unless the connection broke.</summary>
    private void ParseAll()
    {
        while (true)
        {
            Parse r = ParseOne();
            if (r == Parse.Consumed)
            {
                continue;
            }

            if (r == Parse.NeedMore)
            {
                break;
            }

            return; // Receiving: a payload receive is armed; Broken: the connection is being dropped
        }

        if (_state == ConnectionState.Connected)
        {
            ArmReceive();
        }
    }

    /// <summary>Parses the message at <see cref="RxStart"/>, consuming what it takes.</summary>
    protected abstract Parse ParseOne();

    /// <summary>A payload taken with <see cref="ReceivePayload"/> has all come in.</summary>
    protected abstract void PayloadDone();

    /// <summary>
    /// Takes a payload into <see cref="RxIov"/>[0, <paramref name="count"/>): what already came with the
    /// header is copied, the rest received in place. <see cref="PayloadDone"/> follows, at once or when
    /// the receive completes.
    /// </summary>
    protected Parse ReceivePayload(int count)
    {
        int first = 0;
        while (first < count && RxHave > 0)
        {
            ulong len = RxIov[first].iov_len;
            int take = (int)Math.Min(len, (ulong)RxHave);
            BulkCopy.Copy(Rx + RxStart, (byte*)RxIov[first].iov_base, (nuint)take);
            RxStart += take;
            if ((ulong)take < len)
            {
                RxIov[first].iov_base = (byte*)RxIov[first].iov_base + take;
                RxIov[first].iov_len = (size_t)(len - (ulong)take);
            }
            else
            {
                first++;
            }
        }

        if (first == count)
        {
            PayloadDone();
            return _state == ConnectionState.Connected ? Parse.Consumed : Parse.Broken;
        }

        // Everything in the buffer went into the payload (it needs more than was there).
        RxStart = RxEnd = 0;
        _rxIovFirst = first;
        _rxIovCount = count;
        SubmitPayloadReceive();
        return Parse.Receiving;
    }

    /// <summary>
    /// Receives the rest of a payload in place, with the next header receive linked behind it: one
    /// submission instead of a round trip through this thread between a read's data and the next reply.
    /// </summary>
    private void SubmitPayloadReceive()
    {
        if (Ring.SqSpaceLeft < 2)
        {
            _ = Ring.Submit(); // the pair must go in one submission, or the link would not hold
        }

        io_uring_sqe* payload = Ring.NextSqe();
        io_uring_sqe* header = payload == null ? null : Ring.NextSqe();
        if (header == null)
        {
            Lose("the io_uring submission queue is stuck full");
            return;
        }

        SqePrep.RecvMsg(payload, SocketFd, Message(_rxMsg, RxIov, _rxIovFirst, _rxIovCount), (uint)LibC.MSG_WAITALL,
            BlkQueueUserDataCodec.EncodeConnection(Tag(OpPayload)), SqeFlags.IoLink);
        SqePrep.Recv(header, SocketFd, Rx, RxBytes, 0, BlkQueueUserDataCodec.EncodeConnection(Tag(OpRecv)));
        _receives += 2;
    }

    /// <summary>Drops the connection for a protocol error: <paramref name="what"/> the server sent.</summary>
    protected Parse Broken(string what)
    {
        Lose("protocol error: the server sent " + what);
        return Parse.Broken;
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> from <paramref name="from"/> (zeroes when null) into the slot's data
    /// at <paramref name="position"/>, using <see cref="RxIov"/> as scratch.
    /// </summary>
    protected void FillGuest(BlkSlot slot, ulong position, byte* from, uint bytes)
    {
        int n = GatherSegments(slot, position, bytes, RxIov);
        for (int i = 0; i < n; i++)
        {
            int take = (int)(ulong)RxIov[i].iov_len;
            if (from == null)
            {
                BulkCopy.Zero((byte*)RxIov[i].iov_base, (nuint)take);
            }
            else
            {
                BulkCopy.Copy(from, (byte*)RxIov[i].iov_base, (nuint)take);
                from += take;
            }
        }
    }
}
