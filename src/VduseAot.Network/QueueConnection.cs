using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network;

/// <summary>
/// One queue thread's connection to a storage server, driven through that thread's io_uring, whatever
/// the protocol: requests queue as commands in slot order of arrival; each pass gathers what is queued
/// into one SENDMSG (headers the protocol writes, data straight from the guest); one receive at a time
/// takes replies into a buffer for the protocol to parse, and payloads are received straight into the
/// guest's buffers with the next receive linked behind. A lost connection keeps its commands and sends
/// them again on the next one (QueueConnection.Life.cs). Allocates only when attached; no locks; one
/// thread. NBD and NVMe/TCP derive from it.
/// </summary>
internal abstract unsafe partial class QueueConnection : IConnectionQueueIo
{
    // Connection operation tags: the operation in the low byte, the connection generation above, so a
    // completion from a socket already given up is recognised.
    private const uint OpSend = 1;
    private const uint OpRecv = 2;
    private const uint OpDialReady = 3;
    private const uint OpTick = 4;
    private const uint OpPayload = 5;

    /// <summary>UIO_MAXIOV: one SENDMSG gathers at most this many pieces (headers and write data).</summary>
    protected const int MaxSendIov = 1024;

    private readonly Connector _connector;
    private readonly ConnectionDial _dial;
    private readonly long _reconnectTimeoutTicks;
    private readonly Action<string> _log;
    private ushort[] _sendQueue = [];
    private void* _memory;
    private msghdr* _sendMsg;
    private int _sendHead;
    private int _sendCount;
    private int _sendIovFirst;
    private ulong _sequence;

    /// <summary>
    /// Connection <paramref name="name"/> ("queue 1", "shared connection") of queue
    /// <paramref name="number"/> to <paramref name="peer"/>, made by <paramref name="connector"/>, on
    /// <paramref name="ring"/>. Requests wait at most <paramref name="reconnectTimeoutTicks"/> for a lost
    /// connection (0: they fail at once).
    /// </summary>
    protected QueueConnection(Connector connector, IoUring ring, string name, int number, string peer, long reconnectTimeoutTicks, Action<string> log)
    {
        _connector = connector;
        Ring = ring;
        Peer = peer;
        _reconnectTimeoutTicks = reconnectTimeoutTicks;
        _log = log;
        _dial = connector.Register(name, number);
    }

    /// <summary>The queue thread's io_uring.</summary>
    protected IoUring Ring { get; }

    /// <summary>The server, for messages.</summary>
    protected string Peer { get; }

    /// <summary>The queue this connection serves.</summary>
    protected IRequestFinisher Finisher { get; private set; } = null!;

    /// <summary>Every slot's command state, indexed like the finisher's slots.</summary>
    protected SlotTrack[] Tracks { get; private set; } = [];

    /// <summary>The gather list of the send being built (<see cref="BuildBatch"/> appends with <see cref="AddSendIov"/>).</summary>
    protected iovec* SendIov { get; private set; }

    /// <summary>Entries of <see cref="SendIov"/> in use.</summary>
    protected int SendIovCount { get; private set; }

    /// <inheritdoc />
    public void Attach(IRequestFinisher finisher)
    {
        ArgumentNullException.ThrowIfNull(finisher);
        Finisher = finisher;
        int slots = finisher.SlotCount;
        Tracks = new SlotTrack[slots];
        _sendQueue = new ushort[slots];
        _orderKeys = new ulong[slots];
        _orderSlots = new ushort[slots];
        int rxIovs = finisher.MaxSegments + 2; // room for a protocol's padding and digest around the guest's segments
        nuint bytes = (nuint)((MaxSendIov * sizeof(iovec)) + sizeof(msghdr) + RxBytes + (rxIovs * sizeof(iovec)) + sizeof(msghdr)
            + sizeof(__kernel_timespec));
        _memory = NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_memory, bytes);
        byte* at = (byte*)_memory;
        SendIov = (iovec*)at;
        at += MaxSendIov * sizeof(iovec);
        _sendMsg = (msghdr*)at;
        at += sizeof(msghdr);
        Rx = at;
        at += RxBytes;
        RxIov = (iovec*)at;
        at += rxIovs * sizeof(iovec);
        _rxMsg = (msghdr*)at;
        at += sizeof(msghdr);
        _tick = (__kernel_timespec*)at;
        _tick->tv_nsec = 100_000_000;
        AttachSlots(slots);
        AttachPipe();
        AskForConnection();
    }

    /// <summary>Allocates the protocol's own per-slot state (headers, commands) for <paramref name="slots"/> slots.</summary>
    protected abstract void AttachSlots(int slots);

    /// <inheritdoc />
    public abstract byte StartTransfer(BlkSlot slot, bool write);

    /// <inheritdoc />
    public abstract byte StartFlush(BlkSlot slot);

    /// <inheritdoc />
    public abstract byte StartZeroing(BlkSlot slot, bool discard);

    /// <inheritdoc />
    public byte Complete(BlkSlot slot, uint tag, int result) => VirtioBlk.VIRTIO_BLK_S_IOERR; // every completion is a connection one

    /// <summary>Takes the request of slot <paramref name="index"/>, whose first command the protocol has set up: BlkStatus.Pending, or IOERR.</summary>
    protected byte Queue(ushort index)
    {
        if (_state != ConnectionState.Connected && _reconnectTimeoutTicks == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR; // --reconnect-timeout 0: nothing waits for a server that is gone
        }

        ref SlotTrack t = ref Tracks[index];
        t.Status = VirtioBlk.VIRTIO_BLK_S_OK;
        t.Sequence = _sequence++;
        _active++;
        Enqueue(index);
        return BlkStatus.Pending;
    }

    /// <summary>Puts the slot's next command at the end of the send queue.</summary>
    protected void Enqueue(ushort index)
    {
        Tracks[index].State = CommandState.Queued;
        _sendQueue[(_sendHead + _sendCount) % _sendQueue.Length] = index;
        _sendCount++;
    }

    /// <summary>Commands waiting in the send queue.</summary>
    protected int QueuedCount => _sendCount;

    /// <summary>The oldest queued command (valid when <see cref="QueuedCount"/> is positive).</summary>
    protected ushort PeekQueued() => _sendQueue[_sendHead];

    /// <summary>Takes the oldest queued command out of the send queue: it is in the batch being built.</summary>
    protected void PopQueued()
    {
        Tracks[_sendQueue[_sendHead]].State = CommandState.Sent;
        _sendHead = (_sendHead + 1) % _sendQueue.Length;
        _sendCount--;
    }

    /// <summary>True when the protocol has something to send (queued commands; NVMe/TCP: data the controller asked for).</summary>
    protected virtual bool HasSendWork => _sendCount > 0;

    /// <summary>Appends to the gather list what can go now (at most <see cref="MaxSendIov"/> entries).</summary>
    protected abstract void BuildBatch();

    /// <summary>Room left in the gather list.</summary>
    protected int SendIovRoom => MaxSendIov - SendIovCount;

    /// <summary>Appends <paramref name="length"/> bytes at <paramref name="data"/> to the gather list.</summary>
    protected void AddSendIov(void* data, ulong length)
    {
        SendIov[SendIovCount].iov_base = data;
        SendIov[SendIovCount].iov_len = (size_t)length;
        SendIovCount++;
    }

    /// <summary>Appends the slot's data bytes [<paramref name="from"/>, +<paramref name="length"/>) to the gather list.</summary>
    protected void AddSendSegments(BlkSlot slot, ulong from, uint length) =>
        SendIovCount += GatherSegments(slot, from, length, SendIov + SendIovCount);

    /// <inheritdoc />
    public void Flush()
    {
        if (_state != ConnectionState.Connected)
        {
            return;
        }

        if (_receives == 0)
        {
            ArmReceive();
        }

        if (!_sendInFlight)
        {
            SendMore();
        }
    }

    private void SendMore()
    {
        if (!HasSendWork)
        {
            return;
        }

        _sendIovFirst = 0;
        SendIovCount = 0;
        BuildBatch();
        if (SendIovCount > 0)
        {
            _splicing = ChooseSplice();
            SubmitSend();
        }
    }

    private void SubmitSend()
    {
        if (_splicing)
        {
            SubmitSplice();
            return;
        }

        io_uring_sqe* sqe = NextSqeOrLose();
        if (sqe != null)
        {
            SqePrep.SendMsg(sqe, SocketFd, Message(_sendMsg, SendIov, _sendIovFirst, SendIovCount), (uint)LibC.MSG_NOSIGNAL,
                BlkQueueUserDataCodec.EncodeConnection(Tag(OpSend)));
            _sendInFlight = true;
        }
    }

    /// <summary>An SQE for the connection; with the queue stuck full the connection is dropped and this is null.</summary>
    private io_uring_sqe* NextSqeOrLose()
    {
        io_uring_sqe* sqe = Ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            Lose("the io_uring submission queue is stuck full");
        }

        return sqe;
    }

    /// <summary>Points <paramref name="msg"/> at entries <paramref name="first"/> to <paramref name="count"/> of <paramref name="iov"/>.</summary>
    private static msghdr* Message(msghdr* msg, iovec* iov, int first, int count)
    {
        *msg = default;
        msg->msg_iov = iov + first;
        msg->msg_iovlen = count - first;
        return msg;
    }

    private void OnSent(int result)
    {
        _sendInFlight = false;
        if (result <= 0)
        {
            LoseSend(result);
            return;
        }

        // A stream socket may take part of the list: continue after what it took.
        _sendIovFirst = IovecCursor.Advance(SendIov, _sendIovFirst, SendIovCount, (ulong)result);
        if (_sendIovFirst < SendIovCount)
        {
            SubmitSend();
            return;
        }

        SendMore();
    }

    private void LoseSend(int result) =>
        Lose(result == 0 ? "the server stopped taking data" : "send failed: " + ((Errno)(-result)).Describe());

    /// <summary>How many of the slot's data segments the byte range [<paramref name="from"/>, +<paramref name="length"/>) touches.</summary>
    protected static int SegmentsCovering(BlkSlot slot, ulong from, uint length) => GatherSegments(slot, from, length, null);

    /// <summary>Writes iovecs for the byte range of the slot's data into <paramref name="into"/> (just counts when null).</summary>
    protected static int GatherSegments(BlkSlot slot, ulong from, uint length, iovec* into)
    {
        ArgumentNullException.ThrowIfNull(slot);
        int n = 0;
        ulong left = length;
        for (int i = 0; i < slot.IovCount && left > 0; i++)
        {
            ulong len = slot.Iov[i].iov_len;
            if (from >= len)
            {
                from -= len;
                continue;
            }

            ulong take = Math.Min(len - from, left);
            if (into != null)
            {
                into[n].iov_base = (byte*)slot.Iov[i].iov_base + from;
                into[n].iov_len = (size_t)take;
            }

            n++;
            left -= take;
            from = 0;
        }

        return n;
    }

    /// <inheritdoc />
    public void OnConnectionCompletion(uint tag, int result)
    {
        uint op = tag & 0xff;
        if (op == OpDialReady)
        {
            OnDialReady();
        }
        else if (op == OpTick)
        {
            OnTick();
        }
        else if ((tag >> 8) != (_generation & 0xffffff))
        {
            // The last operations of a socket given up: only their accounting matters.
            OnStaleCompletion(op);
        }
        else if (op == OpSend)
        {
            OnSent(result);
        }
        else if (op == OpSplice)
        {
            OnSpliced(result);
        }
        else if (op == OpPayload)
        {
            OnPayloadReceived(result);
        }
        else
        {
            OnReceived(result);
        }

        Flush();
    }

    private uint Tag(uint op) => op | ((_generation & 0xffffff) << 8);

    /// <summary>Ends the request of slot <paramref name="index"/> with its status.</summary>
    protected void Finish(ushort index)
    {
        ref SlotTrack t = ref Tracks[index];
        t.State = CommandState.Free;
        _active--;
        Finisher.Finish(index, t.Status);
    }

    /// <summary>Fails the slot's request (the server said no): counted for stats.</summary>
    protected void ServerFailed(ushort index)
    {
        Tracks[index].Status = VirtioBlk.VIRTIO_BLK_S_IOERR;
        ServerErrors++;
    }

    /// <summary>Errors the server returned for requests, for stats.</summary>
    public long ServerErrors { get; private set; }

    private static long Now => Stopwatch.GetTimestamp();
}
